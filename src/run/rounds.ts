// The active-learning loop (docs/method.md; paper Sec. 3): each round selects regions (random in round
// 1, then the acquisition function on the previous round's stage-1 model), asks the oracle, trains
// stage 1 from the initial weights on the partial labels, turns them into pseudo-labels, trains
// stage 2 from the initial weights on those, and evaluates both on the validation split. Every
// phase is recorded in the run directory (run-directory.ts) once done, so a killed run resumed with
// the same directory continues from the last completed phase or checkpoint.
import { join } from 'node:path';
import { loadCheckpoint } from '../model/checkpoint.js';
import type { DeepLabV3Plus } from '../model/deeplabv3plus.js';
import type { RunConfig } from '../al/config.js';
import type { Dataset } from '../data/dataset.js';
import { evaluate } from './evaluation.js';
import { AwaitingAnswersError } from './human/ask.js';
import type { IoUReport } from '../al/metrics.js';
import type { LabelledRegion, Pool } from '../al/pool.js';
import { writePseudoLabels } from './pseudo-label-files.js';
import { popcount } from '../al/region-batch.js';
import { takeTileNotes } from '../al/tiles.js';
import { writeMetrics, type RoundMetrics } from './report.js';
import { hasValSplit, openRunDataset, openRunPool, type PhaseEvent } from './run-data.js';
import { openRunDirectory, readJson, RunProgress, type RoundProgress, type RunDirectory } from './run-directory.js';
import { selectRound } from './selection.js';
import { pixelLabels, regionLabels, type StageLabels, type StageName } from '../al/stage-labels.js';
import { stageTraining } from './stage-log.js';
import { runTrainEnv, trainStage, type StageProgress, type TrainEnv } from './trainer.js';

export type { RoundProgress } from './run-directory.js';

export type LoopEvent = PhaseEvent | { kind: 'iteration'; progress: StageProgress; etaSeconds: number } | { kind: 'round'; metrics: RoundMetrics };

export interface LoopOptions {
  resume?: boolean;
  halt?: { round: number; stage: StageName; iteration: number };
  stopRequested?: () => boolean;
  /** Upper bound on the training micro-batch (tests of gradient accumulation). */
  maxMicroBatch?: number;
  onEvent?: (e: LoopEvent) => void;
}

export interface LoopResult {
  rounds: RoundMetrics[];
  dir: string;
  labelled: readonly LabelledRegion[];
}

/** What every phase of the loop works with. */
interface Loop {
  cfg: RunConfig;
  run: RunDirectory;
  progress: RunProgress;
  train: Dataset;
  val: Dataset | null;
  pool: Pool;
  env: TrainEnv;
  emit: (e: LoopEvent) => void;
}

export async function runActiveLearning(cfg: RunConfig, options: LoopOptions = {}): Promise<LoopResult> {
  const emit = options.onEvent ?? (() => undefined);
  if (cfg.dataset === 'folder' && cfg.oracle !== 'human') {
    throw new Error(`${cfg.root}: a folder of plain images has no labels for the simulated oracle to read; answer the queries yourself with --oracle human`);
  }
  const loop = await openLoop(cfg, options, emit);
  const { pool } = loop;
  const eta = iterationClock(cfg, emit);
  loop.env.onProgress = eta.onProgress;
  const metrics: RoundMetrics[] = [];
  let stage1Model: DeepLabV3Plus | null = null;
  for (let round = 1; round <= cfg.rounds; round++) {
    const t0 = performance.now();
    const rp = loop.progress.round(round);
    eta.reachRound(round);
    if (!rp.selected) {
      try {
        await selectRound({ cfg, pool, run: loop.run, emit }, round, async () => (stage1Model ??= await loadStageModel(loop, round - 1, 'stage1')));
      } catch (e) {
        if (e instanceof AwaitingAnswersError) stage1Model?.dispose();
        throw e;
      }
      rp.selected = true;
      loop.progress.save();
    }
    const images = pool.labelledImages();
    stage1Model?.dispose();
    stage1Model = await runStage(loop, rp, regionLabels(cfg, pool, images), images, `${images.length} images, ${pool.labelledRegions.length} regions`);
    if (cfg.stage2) {
      const labelDir = await pseudoLabelFiles(loop, rp, images, stage1Model);
      (await runStage(loop, rp, pixelLabels(cfg, pool, labelDir), images)).dispose();
    }
    for (const note of takeTileNotes()) emit({ kind: 'phase', round, phase: 'note', detail: `past the adapter's binding limits, ${note} (no overlap: outputs near tile edges differ from a whole-image pass)` });
    rp.seconds += (performance.now() - t0) / 1000;
    loop.progress.save();
    metrics.push(roundMetrics(loop, rp));
    await writeMetrics(loop.run.dir, metrics, loop.train.classNames);
    emit({ kind: 'round', metrics: metrics[metrics.length - 1] });
  }
  stage1Model?.dispose();
  return { rounds: metrics, dir: loop.run.dir, labelled: pool.labelledRegions };
}

/** Opens (or resumes) the run: its directory and progress, its datasets, its pool with the labels of completed selections. */
async function openLoop(cfg: RunConfig, options: LoopOptions, emit: (e: LoopEvent) => void): Promise<Loop> {
  const run = await openRunDirectory(cfg, options.resume, emit);
  const progress = new RunProgress(run.progress);
  const train = openRunDataset(cfg, 'train');
  const val = hasValSplit(cfg) ? openRunDataset(cfg, 'val') : null;
  if (!val) emit({ kind: 'phase', round: 0, phase: 'note', detail: `no labelled validation split (${join(cfg.root, 'val')}): evaluation skipped, mIoU is not measured` });
  const pool = await openRunPool(cfg, train, emit);
  // Labelled regions of completed selections (a selection is recorded before it counts as done).
  for (const rp of progress.rounds) {
    if (!rp.selected) continue;
    for (const rec of readJson<LabelledRegion[]>(run.labels(rp.round))) pool.restore(rec);
  }
  const env: TrainEnv = { ...runTrainEnv(cfg, pool, emit), halt: options.halt, stopRequested: options.stopRequested, maxMicroBatch: options.maxMicroBatch };
  return { cfg, run, progress, train, val, pool, env, emit };
}

/**
 * The loop's count of training iterations and its estimate of the time left: wall time per
 * iteration since this process started, so selection, evaluation and pseudo-labelling are part of
 * the estimate.
 */
function iterationClock(cfg: RunConfig, emit: (e: LoopEvent) => void): { reachRound: (round: number) => void; onProgress: (p: StageProgress) => void } {
  const perRound = cfg.iterations + (cfg.stage2 ? cfg.stage2Iterations : 0);
  const total = cfg.rounds * perRound;
  const start = performance.now();
  let done = 0;
  let ranHere = 0;
  return {
    reachRound: (round) => (done = Math.max(done, (round - 1) * perRound)),
    onProgress: (p) => {
      done++;
      ranHere++;
      const msPerIteration = (performance.now() - start) / ranHere;
      emit({ kind: 'iteration', progress: p, etaSeconds: ((total - done) * msPerIteration) / 1000 });
    },
  };
}

async function loadStageModel(loop: Loop, round: number, stage: StageName): Promise<DeepLabV3Plus> {
  const m = await loop.env.createModel();
  await loadCheckpoint(loop.run.checkpoint(round, stage), { model: m });
  return m;
}

/**
 * One stage of the round on its labels (trained, or resumed from its checkpoint), then evaluated
 * on the validation split unless a finished run recorded it already; returns its model.
 */
async function runStage(loop: Loop, rp: RoundProgress, labels: StageLabels, images: number[], detail?: string): Promise<DeepLabV3Plus> {
  const { cfg, run } = loop;
  const { round } = rp;
  const stage = labels.stage;
  const title = stage === 'stage1' ? 'stage 1' : 'stage 2';
  const schedule = stage === 'stage1' ? { iterations: cfg.iterations, lr: cfg.lr } : { iterations: cfg.stage2Iterations, lr: cfg.lr2 };
  loop.emit({ kind: 'phase', round, phase: title, detail });
  const model = await trainStage(loop.env, { labels, round, ...schedule, images, checkpoint: run.checkpoint(round, stage), log: run.stageLog(round, stage) });
  if (!rp[stage] && loop.val) {
    loop.emit({ kind: 'phase', round, phase: `evaluate ${title}` });
    rp[stage] = await evaluate(model, loop.val, cfg, run.vis(round), stage);
    loop.progress.save();
  }
  return model;
}

/** Stage 2's labels: the stage-1 model's pseudo-labels of the labelled images, written once. */
async function pseudoLabelFiles(loop: Loop, rp: RoundProgress, images: number[], stage1Model: DeepLabV3Plus): Promise<string> {
  const dir = loop.run.pseudoLabels(rp.round);
  if (!rp.pseudo) {
    loop.emit({ kind: 'phase', round: rp.round, phase: 'pseudo-labels', detail: `${images.length} images` });
    rp.pseudo = await writePseudoLabels(stage1Model, loop.pool, images, loop.cfg, dir, loop.run.vis(rp.round));
    loop.progress.save();
  }
  return dir;
}

/** The round's line of metrics.json. */
function roundMetrics(loop: Loop, rp: RoundProgress): RoundMetrics {
  const { cfg, run, pool, round } = { ...loop, round: rp.round };
  const roundRecords = pool.labelledRegions.filter((r) => r.round === round);
  return {
    round,
    clicks: roundRecords.reduce((s, r) => s + r.clicks, 0),
    // Up to this round: a resumed run has restored later rounds' selections already.
    totalClicks: pool.clicks(round),
    regions: roundRecords.length,
    multiClassShare: roundRecords.length ? roundRecords.filter((r) => popcount(r.mask) > 1).length / roundRecords.length : 0,
    stage1: pick(rp.stage1 ?? notEvaluated(loop.train.numClasses)),
    stage2: cfg.stage2 ? pick(rp.stage2 ?? notEvaluated(loop.train.numClasses)) : null,
    pseudo: rp.pseudo,
    seconds: rp.seconds,
    training: { stage1: stageTraining(run.stageLog(round, 'stage1')), stage2: cfg.stage2 ? stageTraining(run.stageLog(round, 'stage2')) : null },
  };
}

/** What a round without a validation split reports: every figure NaN (null in metrics.json, blank in the CSV). */
function notEvaluated(classes: number): IoUReport {
  return { miou: NaN, miouAllClasses: NaN, pixelAccuracy: NaN, perClass: new Array<number>(classes).fill(NaN) };
}

function pick(r: IoUReport) {
  return { miou: r.miou, miouAllClasses: r.miouAllClasses, pixelAccuracy: r.pixelAccuracy, perClass: r.perClass };
}
