// What a stage's training saw, kept beside its checkpoint (training/round-<r>-stage<k>.json): its
// loss curve and how many batches and crops held no label; and the summary the run's metrics show.
import { existsSync, readFileSync } from 'node:fs';
import type { StageTraining } from './report.js';

/** What a stage's training saw: its loss curve and how many batches and crops held no label. */
export interface StageLog {
  version: 1;
  iterations: number;
  /** [iteration, loss] every few iterations (the ones read back). */
  losses: [number, number][];
  batches: number;
  /** Batches in which no crop holds a labelled pixel: they train on nothing. */
  emptyBatches: number;
  crops: number;
  emptyCrops: number;
  /** Crops the labelled-crop sampler redrew around a labelled pixel. */
  resampledCrops: number;
}

export function emptyStageLog(iterations: number): StageLog {
  return { version: 1, iterations, losses: [], batches: 0, emptyBatches: 0, crops: 0, emptyCrops: 0, resampledCrops: 0 };
}

/** A stage's log, or null when it has none (a run from before logs were kept). */
export function readStageLog(file: string): StageLog | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StageLog;
  } catch (e) {
    throw new Error(`${file}: cannot read the stage log (${e instanceof Error ? e.message : String(e)}); delete it to start the log afresh`);
  }
}

/** The summary of a stage's training log for the run's metrics, or null when it has none. */
export function stageTraining(file: string): StageTraining | null {
  const log = readStageLog(file);
  if (!log) return null;
  const share = (k: number, n: number) => (n > 0 ? k / n : 0);
  return {
    emptyBatchShare: share(log.emptyBatches, log.batches),
    emptyCropShare: share(log.emptyCrops, log.crops),
    resampledCropShare: share(log.resampledCrops, log.crops),
    finalLoss: log.losses.length ? log.losses[log.losses.length - 1][1] : null,
  };
}
