// Worker side of BatchLoader: decodes and augments batches off the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import type { Batch } from './augment.js';
import { BatchSource, type BatchRequest, type BatchSourceConfig } from './batch-source.js';

export type WorkerReply = { batchIndex: number; batch: Batch } | { batchIndex: number; error: string };

const port = parentPort;
if (!port) throw new Error('loader-worker.js must run as a worker thread');
let source: BatchSource | null = null;
let openError: string | null = null;
try {
  source = new BatchSource(workerData as BatchSourceConfig);
} catch (err) {
  openError = err instanceof Error ? err.message : String(err);
}
port.on('message', (req: BatchRequest) => {
  try {
    if (!source) throw new Error(openError ?? 'batch source not open');
    const batch = source.prepare(req);
    const reply: WorkerReply = { batchIndex: req.batchIndex, batch };
    // Batches are freshly allocated ArrayBuffers (never shared), so ownership moves without a copy.
    port.postMessage(reply, [batch.images.buffer as ArrayBuffer, batch.labels.buffer as ArrayBuffer, batch.regions.buffer as ArrayBuffer]);
  } catch (err) {
    const reply: WorkerReply = { batchIndex: req.batchIndex, error: err instanceof Error ? err.message : String(err) };
    port.postMessage(reply);
  }
});
