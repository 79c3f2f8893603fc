// One training stage of a round: a fresh model from the initial weights, AdamW with the head at 10x
// the backbone's learning rate and a poly schedule, batches of augmented crops from the images that
// hold labels, and either the stage-1 region losses or stage-2 pixel CE on pseudo-labels. It
// checkpoints every few iterations so a killed run resumes where it stopped, on the same batches.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { item } from '../engine/io.js';
import { AdamW, polyLr } from '../engine/optim.js';
import { sync } from '../engine/runtime.js';
import { tidy } from '../engine/tensor.js';
import type { DeepLabV3Plus } from '../model/deeplabv3plus.js';
import { BatchNorm2d } from '../model/layers.js';
import { noGrad } from '../engine/autograd.js';
import { concat } from '../engine/ops/shape.js';
import { imageTensor } from './inference.js';
import { writeFileAtomic } from './data/atomic-write.js';
import type { LoadedSample } from './data/dataset.js';
import { loadLatestCheckpoint, saveCheckpoint } from '../model/checkpoint.js';
import { DEFAULT_AUGMENT } from './data/augment.js';
import { BatchLoader, epochPlan } from './data/loader.js';
import { readingLossOptions } from './losses.js';
import type { Pool } from './pool.js';
import { buildRegionBatch, pixelLabelBatch } from './region-batch.js';
import { fitMicroBatch, regionStepLoss } from './step.js';
import { trainStep } from '../model/train-step.js';
import { hashSeed } from './rng.js';
import type { RunConfig } from './config.js';

export type StageName = 'stage1' | 'stage2';

export interface StageRun {
  stage: StageName;
  round: number;
  iterations: number;
  lr: number;
  /** Dataset indices of the images to train on. */
  images: number[];
  /** Stage 2: folder of pseudo-label PNGs named by sample id. */
  labelDir?: string;
  /** Where the stage's checkpoint lives (resumed from when it exists and is unfinished). */
  checkpoint: string;
  /** Where the stage's training log (StageLog: loss curve, batches without labels) is kept. */
  log?: string;
}

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

export interface StageProgress {
  stage: StageName;
  round: number;
  iteration: number;
  iterations: number;
  /** Loss of the latest iteration read back (read every few iterations, not every one). */
  loss: number | null;
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

const LOSS_EVERY = 10;

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
    (info) => info.round === run.round && info.extra.stage === run.stage,
    (message) => env.onNotice?.(message),
  );
  const start = resumed?.info.iteration ?? 0;
  if (start >= run.iterations) return model;
  const wanted = Math.min(cfg.batch, run.images.length);
  if (wanted === 0) throw new Error(`${run.stage} of round ${run.round}: no labelled images to train on`);
  const micro = fitMicroBatch(model, Math.min(wanted, env.maxMicroBatch ?? wanted), cfg.crop, Math.min(2, wanted));
  model.train();
  // Whole micro-batches only: a lone image cannot train batch norm.
  const batch = micro < wanted ? micro * Math.floor(wanted / micro) : wanted;
  if (micro < wanted && env.maxMicroBatch === undefined) env.onNotice?.(`batches of ${wanted} exceed this adapter's binding limits: training on batches of ${batch} accumulated over micro-batches of ${micro} (BN statistics per micro-batch)`);
  const plan = epochPlan(run.images.length, batch, hashSeed(cfg.seed, run.round, run.stage === 'stage1' ? 1 : 2));
  const labelledCrops =
    (cfg.sampler ?? 'labelled') === 'random'
      ? undefined
      : run.stage === 'stage1'
        ? { regions: Object.fromEntries(run.images.map((i) => [i, [...pool.labelsOf(i).keys()]])) }
        : {};
  // The log's counters travel in the checkpoint, so a resumed stage (also one resumed from the
  // checkpoint before a damaged one) counts each batch once; the log file is for people and reports.
  const savedLog = resumed?.info.extra.log;
  const log = (savedLog ? (JSON.parse(savedLog) as StageLog) : null) ?? (start > 0 && run.log ? readStageLog(run.log) : null) ?? emptyStageLog(run.iterations);
  log.losses = log.losses.filter(([i]) => i <= start);
  const loader = new BatchLoader(
    {
      dataset: { kind: cfg.dataset, root: cfg.root, split: 'train' },
      superpixels: run.stage === 'stage1' ? { spec: cfg.superpixels, cacheDir: pool.cacheDir } : null,
      augment: { ...DEFAULT_AUGMENT, cropHeight: cfg.crop, cropWidth: cfg.crop, padColor: pool.dataset.meanColor },
      labelDir: run.labelDir,
      labelledCrops,
    },
    (i) => plan(i)?.map((k) => run.images[k]) ?? null,
    { seed: hashSeed(cfg.seed, run.round, run.stage === 'stage1' ? 11 : 12), startAt: start },
  );
  const classes = pool.outputs;
  const weights = { ce: cfg.weights.ce, mp: cfg.ablation.mp ? cfg.weights.mp : 0, pp: cfg.ablation.pp ? cfg.weights.pp : 0 };
  const lossOptions = readingLossOptions(cfg.reading, cfg.tau);
  let loss: number | null = null;
  let t0 = performance.now();
  let waited = 0;
  mkdirSync(dirname(run.checkpoint), { recursive: true });
  // Periodic checkpoints keep the one before them; the stage's final one (read by later phases and
  // rounds) replaces both, so a run keeps one file per finished stage.
  const save = async (iteration: number) => {
    await saveCheckpoint(run.checkpoint, { model, optimizer, round: run.round, iteration, config: cfg, extra: { stage: run.stage, log: JSON.stringify(log) } }, { keepPrevious: iteration < run.iterations });
    if (run.log) {
      mkdirSync(dirname(run.log), { recursive: true });
      writeFileAtomic(run.log, JSON.stringify(log));
    }
  };
  try {
    for (let it = start; it < run.iterations; it++) {
      if (env.halt && env.halt.round === run.round && env.halt.stage === run.stage && env.halt.iteration === it) {
        throw new HaltError(`round ${run.round}, ${run.stage}, iteration ${it}`);
      }
      const w0 = performance.now();
      const b = await loader.next();
      waited += performance.now() - w0;
      if (!b) throw new Error(`${run.stage}: the data loader ran dry at iteration ${it}`);
      log.batches++;
      log.crops += b.n;
      log.emptyCrops += b.emptyCrops;
      log.resampledCrops += b.resampledCrops;
      if (b.emptyCrops === b.n) log.emptyBatches++;
      const tables =
        run.stage === 'stage1'
          ? buildRegionBatch(
              Int32Array.from(b.regions, (r, i) => (r < 0 ? -1 : b.indices[Math.floor(i / (b.height * b.width))] * 65536 + r)),
              (key) => {
                const m = pool.labelsOf(Math.floor(key / 65536)).get(key % 65536);
                return m === undefined ? undefined : m;
              },
              classes,
              { weights, reading: cfg.reading },
            )
          : pixelLabelBatch(b.labels, classes);
      const lossTensor = trainStep(model, optimizer, b.n, regionStepLoss(model, b, tables, lossOptions), { lrFactor: polyLr(1, it, run.iterations, 0.9, 1e-6 / run.lr), microBatch: micro });
      if ((it + 1) % LOSS_EVERY === 0 || it === start || it + 1 === run.iterations) {
        loss = await item(lossTensor);
        log.losses.push([it + 1, loss]);
      } else await sync();
      lossTensor.dispose();
      if (!Number.isFinite(loss ?? 0)) throw new Error(`${run.stage} of round ${run.round}: the loss became ${loss} at iteration ${it}`);
      const now = performance.now();
      env.onProgress?.({
        stage: run.stage,
        round: run.round,
        iteration: it + 1,
        iterations: run.iterations,
        loss,
        msPerIteration: now - t0,
        loaderWait: waited / Math.max(now - t0, 1e-9),
        emptyBatchShare: log.emptyBatches / Math.max(log.batches, 1),
      });
      t0 = now;
      waited = 0;
      if (env.stopRequested?.() && it + 1 < run.iterations) {
        await save(it + 1);
        throw new StoppedError(`round ${run.round}, ${run.stage}, iteration ${it + 1}`);
      }
      if ((it + 1) % cfg.checkpointEvery === 0 && it + 1 < run.iterations) await save(it + 1);
    }
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
 * Re-estimates every BN layer's running statistics as the exact average of batch statistics over
 * whole (unaugmented) training images, in batches of images of equal size. Why: at the default
 * scale (128x256 images, 96 px crops at scale 0.5-2, batch 4) a large share of each crop is padding
 * and batches are small, so the running averages kept during training describe padded crops, not
 * images; evaluated with them the model can collapse to one class (measured: 3.6% vs 13.7% mIoU).
 * `--no-bn-recalibration` keeps the reference's plain running averages.
 */
export function recalibrateBatchNorm(model: DeepLabV3Plus, pool: Pool, images: readonly number[], batch: number): void {
  const bns = model.namedModules().map(([, m]) => m).filter((m): m is BatchNorm2d => m instanceof BatchNorm2d);
  const bySize = new Map<string, LoadedSample[]>();
  for (const i of images) {
    const s = pool.dataset.load(pool.dataset.samples[i]);
    const key = `${s.width}x${s.height}`;
    if (!bySize.has(key)) bySize.set(key, []);
    bySize.get(key)!.push(s);
  }
  const wasTraining = model.training;
  const momentum = bns.map((b) => b.momentum);
  let k = 0;
  for (const group of bySize.values()) {
    for (let at = 0; at + 2 <= group.length; at += batch) {
      const chunk = group.slice(at, at + batch);
      if (chunk.length < 2) break;
      // Momentum 1/k: after k batches the running value is the mean of their statistics.
      k++;
      for (const b of bns) b.momentum = 1 / k;
      noGrad(() =>
        tidy(() => {
          model.train();
          const xs = chunk.map((s) => imageTensor(s));
          model.forward(concat(xs, 0), { features: false });
        }),
      );
    }
  }
  bns.forEach((b, i) => (b.momentum = momentum[i]));
  model.train(wasTraining);
}
