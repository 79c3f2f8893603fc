// Worker side of the data check before training: reads and validates a share of the samples and
// reports each one's problems as it goes (the main thread prints progress).
import { parentPort, workerData } from 'node:worker_threads';
import { sampleProblems, type DataProblem } from './check.js';
import type { DatasetKind, Sample } from './dataset.js';

export interface CheckJob {
  kind: DatasetKind;
  /** The dataset's classes (a folder's labels are checked against its classes.json). */
  numClasses: number;
  samples: Sample[];
}

export interface CheckReply {
  /** Index into the job's samples. */
  index: number;
  problems: DataProblem[];
}

const port = parentPort;
if (!port) throw new Error('check-worker.js must run as a worker thread');
const job = workerData as CheckJob;
job.samples.forEach((sample, index) => {
  const reply: CheckReply = { index, problems: sampleProblems(job.kind, sample, job.numClasses) };
  port.postMessage(reply);
});
