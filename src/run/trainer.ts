// One training stage of a round: a fresh model from the initial weights, AdamW with the head at 10x
// the backbone's learning rate and a poly schedule, batches of augmented crops from the images that
// hold labels, and the loss tables of the stage's labels (stage-labels.ts: stage-1 region losses or
// stage-2 pixel CE). It checkpoints every few iterations so a killed run resumes where it stopped,
// on the same batches.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { item } from '../engine/io.js';
import { AdamW, polyLr } from '../engine/optim.js';
import { sync } from '../engine/runtime.js';
import { loadLatestCheckpoint, saveCheckpoint } from '../model/checkpoint.js';
import type { DeepLabV3Plus } from '../model/deeplabv3plus.js';
import { trainStep } from '../model/train-step.js';
import { recalibrateBatchNorm } from '../al/bn-recalibration.js';
import type { RunConfig } from '../al/config.js';
import { writeFileAtomic } from '../data/atomic-write.js';
import { DEFAULT_AUGMENT } from '../loader/augment.js';
import { BatchLoader, epochPlan } from '../loader/loader.js';
import { readingLossOptions } from '../al/losses.js';
import type { Pool } from '../al/pool.js';
import { hashSeed } from '../data/rng.js';
import { initialModel, type PhaseEvent } from './run-data.js';
import { emptyStageLog, readStageLog, type StageLog } from './stage-log.js';
import type { StageLabels, StageName } from '../al/stage-labels.js';
import { fitMicroBatch, regionStepLoss } from '../al/step.js';

export interface StageRun {
  /** The stage's labels: where they come from and how a batch's loss tables are built. */
  labels: StageLabels;
  round: number;
  iterations: number;
  lr: number;
  /** Dataset indices of the images to train on. */
  images: number[];
  /** Where the stage's checkpoint lives (resumed from when it exists and is unfinished). */
  checkpoint: string;
  /** Where the stage's training log (StageLog: loss curve, batches without labels) is kept. */
  log?: string;
}

export interface StageProgress {
  stage: StageName;
  round: number;
  iteration: number;
  iterations: number;
  /**
   * Loss of the latest iteration read back, and that iteration: losses are read every few
   * iterations (reading each would stall the GPU queue), so it is usually an earlier one.
   */
  loss: number | null;
  lossIteration: number | null;
  msPerIteration: number;
  /** Share of the step time spent waiting for the data loader. */
  loaderWait: number;
  /** Share of this stage's batches so far in which no crop held a labelled pixel. */
  emptyBatchShare: number;
}

/** Thrown to simulate a kill at a given point (tests, `--halt-at`). Nothing is saved. */
export class HaltError extends Error {
  constructor(where: string) {
    super(`halted at ${where} (simulated kill)`);
    this.name = 'HaltError';
  }
}

/** Thrown after a requested stop (SIGINT/SIGTERM) once the current iteration is checkpointed. */
export class StoppedError extends Error {
  constructor(where: string) {
    super(`stopped at ${where}; the checkpoint holds every finished iteration`);
    this.name = 'StoppedError';
  }
}

export interface TrainEnv {
  cfg: RunConfig;
  pool: Pool;
  /** A model at the run's initial weights (every stage of every round starts from them). */
  createModel: () => Promise<DeepLabV3Plus>;
  halt?: { round: number; stage: StageName; iteration: number };
  /** Upper bound on the micro-batch (tests; by default the whole batch when it fits). */
  maxMicroBatch?: number;
  /** Messages worth showing the user (e.g. that batches are split). */
  onNotice?: (message: string) => void;
  /** Polled after every iteration: when it returns true the stage checkpoints and throws StoppedError. */
  stopRequested?: () => boolean;
  onProgress?: (p: StageProgress) => void;
}

/** What the trainer needs of a run: its pool, its initial weights, and notices shown as phase events. */
export function runTrainEnv(cfg: RunConfig, pool: Pool, emit: (e: PhaseEvent) => void): TrainEnv {
  return { cfg, pool, createModel: () => initialModel(cfg, pool.dataset), onNotice: (message) => emit({ kind: 'phase', round: 0, phase: 'note', detail: message }) };
}

const LOSS_EVERY = 10;

/** Trains one stage (or resumes it from its checkpoint) and returns its model, checkpointed. */
export async function trainStage(env: TrainEnv, run: StageRun): Promise<DeepLabV3Plus> {
  const { cfg, pool } = env;
  const model = await env.createModel();
  model.train();
  const optimizer = new AdamW(model.paramGroups(run.lr, { weightDecay: cfg.weightDecay }));
  // A damaged checkpoint falls back to the one before it, or to the stage's start (same batches,
  // same result: only time is lost).
  const resumed = await loadLatestCheckpoint(
    run.checkpoint,
    { model, optimizer },
    (info) => info.round === run.round && info.extra.stage === run.labels.stage,
    (message) => env.onNotice?.(message),
  );
  const start = resumed?.info.iteration ?? 0;
  if (start >= run.iterations) return model;
  const { batch, micro } = stageBatch(env, run, model);
  const log = resumedLog(run, start, resumed?.info.extra.log);
  const loader = stageLoader(cfg, pool, run, batch, start);
  mkdirSync(dirname(run.checkpoint), { recursive: true });
  // Periodic checkpoints keep the one before them; the stage's final one (read by later phases and
  // rounds) replaces both, so a run keeps one file per finished stage.
  const save = async (iteration: number) => {
    await saveCheckpoint(run.checkpoint, { model, optimizer, round: run.round, iteration, config: cfg, extra: { stage: run.labels.stage, log: JSON.stringify(log) } }, { keepPrevious: iteration < run.iterations });
    if (run.log) writeFileAtomic(run.log, JSON.stringify(log));
  };
  try {
    await iterate(env, run, { model, optimizer, loader, log, micro, save }, start);
  } catch (e) {
    await loader.close();
    model.dispose();
    optimizer.dispose();
    throw e;
  }
  await loader.close();
  if (cfg.bnRecalibration) recalibrateBatchNorm(model, pool, run.images, cfg.batch);
  await save(run.iterations);
  optimizer.dispose();
  return model;
}

/**
 * The stage's log as it stood at iteration `start`. Its counters travel in the checkpoint, so a
 * resumed stage (also one resumed from the checkpoint before a damaged one) counts each batch
 * once; the log file is for people and reports.
 */
function resumedLog(run: StageRun, start: number, saved: string | undefined): StageLog {
  const log = (saved ? (JSON.parse(saved) as StageLog) : null) ?? (start > 0 && run.log ? readStageLog(run.log) : null) ?? emptyStageLog(run.iterations);
  log.losses = log.losses.filter(([i]) => i <= start);
  return log;
}

interface StageState {
  model: DeepLabV3Plus;
  optimizer: AdamW;
  loader: BatchLoader;
  log: StageLog;
  micro: number;
  save: (iteration: number) => Promise<void>;
}

/**
 * Iterations `start` to the end: a batch, its loss tables, one training step; the loss read back
 * every few iterations, progress reported, a checkpoint every `checkpointEvery` iterations and when
 * a stop is requested.
 */
async function iterate(env: TrainEnv, run: StageRun, s: StageState, start: number): Promise<void> {
  const { cfg } = env;
  const stage = run.labels.stage;
  const where = (i: number) => `round ${run.round}, ${stage}, iteration ${i}`;
  const lossOptions = readingLossOptions(cfg.reading, cfg.tau);
  let loss: number | null = null;
  let lossIteration: number | null = null;
  let t0 = performance.now();
  let waited = 0;
  for (let it = start; it < run.iterations; it++) {
    if (env.halt && env.halt.round === run.round && env.halt.stage === stage && env.halt.iteration === it) throw new HaltError(where(it));
    const w0 = performance.now();
    const b = await s.loader.next();
    waited += performance.now() - w0;
    if (!b) throw new Error(`${stage}: the data loader ran dry at iteration ${it}`);
    countBatch(s.log, b);
    const tables = run.labels.tables(b);
    const lossTensor = trainStep(s.model, s.optimizer, b.n, regionStepLoss(s.model, b, tables, lossOptions, run.labels.loss), { lrFactor: polyLr(1, it, run.iterations, 0.9, 1e-6 / run.lr), microBatch: s.micro });
    if ((it + 1) % LOSS_EVERY === 0 || it === start || it + 1 === run.iterations) {
      loss = await item(lossTensor);
      lossIteration = it + 1;
      s.log.losses.push([it + 1, loss]);
    } else await sync();
    lossTensor.dispose();
    if (!Number.isFinite(loss ?? 0)) throw new Error(`${stage} of round ${run.round}: the loss became ${loss} at iteration ${it}`);
    const now = performance.now();
    env.onProgress?.({
      stage,
      round: run.round,
      iteration: it + 1,
      iterations: run.iterations,
      loss,
      lossIteration,
      msPerIteration: now - t0,
      loaderWait: waited / Math.max(now - t0, 1e-9),
      emptyBatchShare: s.log.emptyBatches / Math.max(s.log.batches, 1),
    });
    t0 = now;
    waited = 0;
    if (env.stopRequested?.() && it + 1 < run.iterations) {
      await s.save(it + 1);
      throw new StoppedError(where(it + 1));
    }
    if ((it + 1) % cfg.checkpointEvery === 0 && it + 1 < run.iterations) await s.save(it + 1);
  }
}

/**
 * The stage's batch and micro-batch: the run's batch (at most the number of images), split into
 * micro-batches when the whole would exceed the adapter's binding limits. Leaves the model in
 * train mode.
 */
function stageBatch(env: TrainEnv, run: StageRun, model: DeepLabV3Plus): { batch: number; micro: number } {
  const wanted = Math.min(env.cfg.batch, run.images.length);
  if (wanted === 0) throw new Error(`${run.labels.stage} of round ${run.round}: no labelled images to train on`);
  const micro = fitMicroBatch(model, Math.min(wanted, env.maxMicroBatch ?? wanted), env.cfg.crop, Math.min(2, wanted));
  model.train();
  // Whole micro-batches only: a lone image cannot train batch norm.
  const batch = micro < wanted ? micro * Math.floor(wanted / micro) : wanted;
  if (micro < wanted && env.maxMicroBatch === undefined) env.onNotice?.(`batches of ${wanted} exceed this adapter's binding limits: training on batches of ${batch} accumulated over micro-batches of ${micro} (BN statistics per micro-batch)`);
  return { batch, micro };
}

/** The stage's batches from iteration `start` on: a seeded epoch plan over its images, augmented crops. */
function stageLoader(cfg: RunConfig, pool: Pool, run: StageRun, batch: number, start: number): BatchLoader {
  const k = run.labels.stage === 'stage1' ? 1 : 2;
  const plan = epochPlan(run.images.length, batch, hashSeed(cfg.seed, run.round, k));
  return new BatchLoader(
    {
      dataset: { kind: cfg.dataset, root: cfg.root, split: 'train' },
      augment: { ...DEFAULT_AUGMENT, cropHeight: cfg.crop, cropWidth: cfg.crop, padColor: pool.dataset.meanColor },
      ...run.labels.source,
    },
    (i) => plan(i)?.map((j) => run.images[j]) ?? null,
    { seed: hashSeed(cfg.seed, run.round, 10 + k), startAt: start },
  );
}

/** Counts a batch's crops, crops without a label and redrawn crops in the stage's log. */
function countBatch(log: StageLog, b: { n: number; emptyCrops: number; resampledCrops: number }): void {
  log.batches++;
  log.crops += b.n;
  log.emptyCrops += b.emptyCrops;
  log.resampledCrops += b.resampledCrops;
  if (b.emptyCrops === b.n) log.emptyBatches++;
}
