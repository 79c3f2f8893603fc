// The active-learning loop (docs/method.md; paper Sec. 3): each round selects regions (random in round
// 1, then the acquisition function on the previous round's stage-1 model), asks the oracle, trains
// stage 1 from the initial weights on the partial labels, turns them into pseudo-labels, trains
// stage 2 from the initial weights on those, and evaluates both on the validation split.
//
// The run directory holds everything a person or a resumed run needs:
//   config.json, progress.json               what the run is and how far it got
//   labels/round-<r>.json                     the regions labelled in round r, answers and clicks
//   queries/, answers/                        with a human oracle: what to ask, what was answered (human/queries.ts)
//   checkpoints/round-<r>-stage<k>.safetensors
//   pseudo/round-<r>/<sample id>.png          pseudo-labels (class ids, 255 = ignore)
//   training/round-<r>-stage<k>.json          loss curve, batches and crops without a labelled pixel
//   metrics.json, metrics.csv, miou-vs-clicks.svg and .png
//   vis/                                      colour PNGs of images, ground truth, predictions, pseudo-labels
// Every file is written atomically; a killed run resumed with the same directory continues from
// the last completed phase or checkpoint and never loses or duplicates a labelled region.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tidy } from '../engine/tensor.js';
import type { DeepLabV3Plus } from '../model/deeplabv3plus.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { createModel } from '../model/presets.js';
import { importResNetWeights } from '../model/weights.js';
import { scoreRegions, selectByBudget, type ImageRegionStats } from './acquisition.js';
import { identityDifferences, type RunConfig } from './config.js';
import { writeFileAtomic } from './data/atomic-write.js';
import type { Dataset } from './data/dataset.js';
import { writeGreyPng, writeRgbPng } from './data/png.js';
import { folderHasSplit } from './data/folder.js';
import { openDataset } from './data/open-dataset.js';
import { DataCheckError, preflightCheck } from './data/preflight.js';
import { answeredRegions, AwaitingAnswersError, expectedClicks, writeRoundQueries } from './human/ask.js';
import { queriesFile } from './human/queries.js';
import { DEFAULT_SYNTHETIC, ensureSyntheticDataset } from './data/synthetic.js';
import { imagePseudoLabels, imageRegionStats, labelMap, predictImage } from './inference.js';
import { ConfusionMatrix, type IoUReport } from './metrics.js';
import { Pool, type LabelledRegion } from './pool.js';
import { popcount } from './region-batch.js';
import { writeLabelPng, writeMetrics, type RoundMetrics, type StageTraining } from './report.js';
import { Rng, hashSeed } from './rng.js';
import { defaultSuperpixelCacheDir, buildSuperpixelCache } from './superpixels/cache.js';
import { readStageLog, trainStage, type StageName, type StageProgress, type TrainEnv } from './trainer.js';
import { readJson } from './json-file.js';

export interface RoundProgress {
  round: number;
  selected: boolean;
  stage1: IoUReport | null;
  pseudo: { coverage: number; accuracy: number } | null;
  stage2: IoUReport | null;
  seconds: number;
}

interface ProgressFile {
  version: 1;
  rounds: RoundProgress[];
}

export type LoopEvent =
  | { kind: 'phase'; round: number; phase: string; detail?: string }
  | { kind: 'iteration'; progress: StageProgress; etaSeconds: number }
  | { kind: 'round'; metrics: RoundMetrics };

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

export function openRunDataset(cfg: RunConfig, split: string): Dataset {
  ensureRunDataset(cfg);
  return openDataset(cfg.dataset, cfg.root, split);
}

/**
 * Every image and label of the splits the run reads, opened and validated before any training;
 * throws a DataCheckError listing every problem (see preflight.ts).
 */
/** A folder of plain images may come without a labelled validation split: then nothing is evaluated. */
function hasValSplit(cfg: RunConfig): boolean {
  return cfg.dataset !== 'folder' || folderHasSplit(cfg.root, 'val');
}

export async function checkRunData(cfg: RunConfig, emit: (e: LoopEvent) => void = () => undefined): Promise<void> {
  ensureRunDataset(cfg);
  const splits = hasValSplit(cfg) ? ['train', 'val'] : ['train'];
  const r = await preflightCheck(cfg.dataset, cfg.root, splits, { onProgress: (p) => emit({ kind: 'phase', round: 0, phase: 'data check', detail: `${p.done}/${p.total}` }) });
  if (r.problems.length) throw new DataCheckError(r.problems, `node dist/cli.js data check --dataset ${cfg.dataset} --root ${cfg.root} --splits ${splits.join(',')}`);
  const listed = splits.map((s) => `${r.samples[s]} ${s}`).join(', ');
  emit({ kind: 'phase', round: 0, phase: 'data', detail: `${listed} samples checked (${r.checked} read now, ${r.fromCache} unchanged since the last check)` });
}

function ensureRunDataset(cfg: RunConfig): void {
  if (cfg.dataset === 'synthetic') {
    const { train, val, height, width } = cfg.synthetic;
    ensureSyntheticDataset(cfg.root, { ...DEFAULT_SYNTHETIC, splits: { train, val }, height, width });
  }
}

/**
 * Opens a run directory for a new or resumed run: refuses to overwrite a run unless resuming, names
 * each setting a resumed run changed, checks the data (before anything is written), then writes
 * config.json. Shared by the active-learning loop and the fully supervised reference.
 */
export async function openRunDirectory(cfg: RunConfig, resume: boolean | undefined, emit: (e: LoopEvent) => void): Promise<void> {
  const dir = cfg.out;
  const cfgFile = join(dir, 'config.json');
  if (existsSync(cfgFile)) {
    if (!resume) throw new Error(`${dir} already holds a run: pass --resume to continue it, or choose another --out`);
    const saved = readJson<RunConfig>(cfgFile);
    const differences = identityDifferences(saved, cfg);
    if (differences.length) {
      throw new Error(`${cfgFile}: the run there was started with other settings; resume it with the same options:\n  ${differences.join('\n  ')}`);
    }
  }
  // Bad data stops the run before anything is written or trained.
  emit({ kind: 'phase', round: 0, phase: 'data', detail: `${cfg.dataset} at ${cfg.root}` });
  await checkRunData(cfg, emit);
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(cfgFile, JSON.stringify(cfg, null, 2));
}

export async function runActiveLearning(cfg: RunConfig, options: LoopOptions = {}): Promise<LoopResult> {
  const emit = options.onEvent ?? (() => undefined);
  const dir = cfg.out;
  const progressFile = join(dir, 'progress.json');
  if (cfg.dataset === 'folder' && cfg.oracle !== 'human') {
    throw new Error(`${cfg.root}: a folder of plain images has no labels for the simulated oracle to read; answer the queries yourself with --oracle human`);
  }
  await openRunDirectory(cfg, options.resume, emit);
  const progress: ProgressFile = existsSync(progressFile) ? readJson<ProgressFile>(progressFile) : { version: 1, rounds: [] };
  const saveProgress = () => writeFileAtomic(progressFile, JSON.stringify(progress, null, 2));

  const train = openRunDataset(cfg, 'train');
  const val = hasValSplit(cfg) ? openRunDataset(cfg, 'val') : null;
  if (!val) emit({ kind: 'phase', round: 0, phase: 'note', detail: `no labelled validation split (${join(cfg.root, 'val')}): evaluation skipped, mIoU is not measured` });
  const cacheDir = defaultSuperpixelCacheDir(train, cfg.superpixels);
  await buildSuperpixelCache(train, cfg.superpixels, cacheDir, (p) => emit({ kind: 'phase', round: 0, phase: 'superpixels', detail: `${p.done}/${p.total}` }));
  const pool = new Pool(train, cfg.superpixels, cacheDir, cfg.labelling, cfg.dominant, cfg.seed, cfg.reading === 'text' ? 4 : 8);
  const C = train.numClasses;
  const undefinedClass = train.hasUndefinedClass ? C : undefined;

  // Labelled regions of completed selections (a selection is recorded before it counts as done).
  for (const rp of progress.rounds) {
    if (!rp.selected) continue;
    for (const rec of readJson<LabelledRegion[]>(join(dir, 'labels', `round-${rp.round}.json`))) pool.restore(rec);
  }

  const createInitial = async (): Promise<DeepLabV3Plus> => {
    const model = createModel(cfg.preset, { numClasses: C, undefinedClass: train.hasUndefinedClass, seed: cfg.seed });
    if (cfg.pretrained) await importResNetWeights(model.backbone, cfg.pretrained);
    return model;
  };
  const ckpt = (round: number, stage: StageName) => join(dir, 'checkpoints', `round-${round}-${stage}.safetensors`);
  const stageLog = (round: number, stage: StageName) => join(dir, 'training', `round-${round}-${stage}.json`);
  const totalIterations = cfg.rounds * (cfg.iterations + (cfg.stage2 ? cfg.stage2Iterations : 0));
  let doneIterations = 0;
  let ranHere = 0;
  const loopStart = performance.now();
  const env: TrainEnv = {
    cfg,
    pool,
    createModel: createInitial,
    halt: options.halt,
    stopRequested: options.stopRequested,
    maxMicroBatch: options.maxMicroBatch,
    onNotice: (message) => emit({ kind: 'phase', round: 0, phase: 'note', detail: message }),
    onProgress: (p) => {
      doneIterations++;
      ranHere++;
      // Wall time per iteration since this process started, so selection, evaluation and
      // pseudo-labelling are part of the estimate.
      const msPerIteration = (performance.now() - loopStart) / ranHere;
      emit({ kind: 'iteration', progress: p, etaSeconds: ((totalIterations - doneIterations) * msPerIteration) / 1000 });
    },
  };
  const loadStageModel = async (round: number, stage: StageName) => {
    const m = await createInitial();
    await loadCheckpoint(ckpt(round, stage), { model: m });
    return m;
  };

  const metrics: RoundMetrics[] = [];
  let stage1Model: DeepLabV3Plus | null = null;
  for (let round = 1; round <= cfg.rounds; round++) {
    const t0 = performance.now();
    let rp = progress.rounds.find((r) => r.round === round);
    if (!rp) {
      rp = { round, selected: false, stage1: null, pseudo: null, stage2: null, seconds: 0 };
      progress.rounds.push(rp);
    }
    const iterationsBefore = (round - 1) * (cfg.iterations + (cfg.stage2 ? cfg.stage2Iterations : 0));
    doneIterations = Math.max(doneIterations, iterationsBefore);

    // 1. Select and label.
    // A person's answers (--oracle human): once the round's queries are written, only they count.
    const human = cfg.oracle === 'human';
    if (!rp.selected && human && existsSync(queriesFile(dir, round))) {
      try {
        const records = answeredRegions(dir, round);
        for (const rec of records) pool.restore(rec);
        writeFileAtomic(join(dir, 'labels', `round-${round}.json`), JSON.stringify(records));
        rp.selected = true;
        saveProgress();
      } catch (e) {
        if (e instanceof AwaitingAnswersError) stage1Model?.dispose();
        throw e;
      }
    }
    if (!rp.selected) {
      emit({ kind: 'phase', round, phase: 'select', detail: round === 1 ? 'random' : cfg.acquisition });
      const candidates = pool.unlabelledRegions();
      let scores: Float64Array;
      const rng = new Rng(hashSeed(cfg.seed, round, 0xac));
      if (round === 1 || cfg.acquisition === 'random') {
        scores = scoreRegions('random', [], candidates, { nu: cfg.nu, random: () => rng.float() });
      } else {
        const model = stage1Model ?? (await loadStageModel(round - 1, 'stage1'));
        stage1Model = model;
        const stats: ImageRegionStats[] = [];
        for (const img of pool.images) {
          const loaded = train.load(train.samples[img.index]);
          stats.push(await imageRegionStats(model, loaded, img.pixels, cfg.tau));
        }
        scores = scoreRegions(cfg.acquisition, stats, candidates, { nu: cfg.nu, undefinedClass, over: cfg.reading === 'code' ? 'pool' : 'candidates' });
      }
      if (human) {
        const cost = expectedClicks(pool, cfg.labelling);
        const { selected } = selectByBudget(candidates, scores, cfg.budget, () => cost);
        const q = writeRoundQueries(dir, round, pool, selected, cfg.labelling);
        stage1Model?.dispose();
        throw new AwaitingAnswersError(dir, round, 0, q.queries.length);
      }
      const { selected } = selectByBudget(candidates, scores, cfg.budget, (r) => pool.answer(r).clicks);
      const records = selected.map((r) => pool.label(r, round));
      writeFileAtomic(join(dir, 'labels', `round-${round}.json`), JSON.stringify(records));
      rp.selected = true;
      saveProgress();
    }
    const roundRecords = pool.labelledRegions.filter((r) => r.round === round);
    const images = pool.labelledImages();

    // 2. Stage 1 on the partial labels, then its evaluation.
    stage1Model?.dispose();
    emit({ kind: 'phase', round, phase: 'stage 1', detail: `${images.length} images, ${pool.labelledRegions.length} regions` });
    stage1Model = await trainStage(env, { stage: 'stage1', round, iterations: cfg.iterations, lr: cfg.lr, images, checkpoint: ckpt(round, 'stage1'), log: stageLog(round, 'stage1') });
    if (!rp.stage1 && val) {
      emit({ kind: 'phase', round, phase: 'evaluate stage 1' });
      rp.stage1 = await evaluate(stage1Model, val, cfg, join(dir, 'vis', `round-${round}`), 'stage1');
      saveProgress();
    }

    // 3. Pseudo-labels and stage 2.
    let stage2Iou: IoUReport | null = null;
    if (cfg.stage2) {
      const pseudoDir = join(dir, 'pseudo', `round-${round}`);
      if (!rp.pseudo) {
        emit({ kind: 'phase', round, phase: 'pseudo-labels', detail: `${images.length} images` });
        rp.pseudo = await writePseudoLabels(stage1Model, pool, images, cfg, pseudoDir, join(dir, 'vis', `round-${round}`));
        saveProgress();
      }
      emit({ kind: 'phase', round, phase: 'stage 2' });
      const stage2Model = await trainStage(env, { stage: 'stage2', round, iterations: cfg.stage2Iterations, lr: cfg.lr2, images, labelDir: pseudoDir, checkpoint: ckpt(round, 'stage2'), log: stageLog(round, 'stage2') });
      if (!rp.stage2 && val) {
        emit({ kind: 'phase', round, phase: 'evaluate stage 2' });
        rp.stage2 = await evaluate(stage2Model, val, cfg, join(dir, 'vis', `round-${round}`), 'stage2');
      }
      stage2Model.dispose();
      stage2Iou = rp.stage2 ?? notEvaluated(C);
    }
    rp.seconds += (performance.now() - t0) / 1000;
    saveProgress();
    const m: RoundMetrics = {
      round,
      clicks: roundRecords.reduce((s, r) => s + r.clicks, 0),
      // Up to this round: a resumed run has restored later rounds' selections already.
      totalClicks: pool.clicks(round),
      regions: roundRecords.length,
      multiClassShare: roundRecords.length ? roundRecords.filter((r) => popcount(r.mask) > 1).length / roundRecords.length : 0,
      stage1: pick(rp.stage1 ?? notEvaluated(C)),
      stage2: stage2Iou ? pick(stage2Iou) : null,
      pseudo: rp.pseudo,
      seconds: rp.seconds,
      training: { stage1: stageTraining(stageLog(round, 'stage1')), stage2: cfg.stage2 ? stageTraining(stageLog(round, 'stage2')) : null },
    };
    metrics.push(m);
    writeMetrics(dir, metrics, train.classNames);
    emit({ kind: 'round', metrics: m });
  }
  stage1Model?.dispose();
  return { rounds: metrics, dir, labelled: pool.labelledRegions };
}

/** The summary of a stage's training log, for the run's metrics. */
function stageTraining(file: string): StageTraining | null {
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

/**
 * The upper bound's pseudo-labels (`pseudo: 'oracle'`): stage 2 as if localisation were perfect,
 * from the ground truth inside each labelled region and nothing outside. Multi-class labels: each
 * pixel whose true class is in its region's label set takes that class. Dominant labels: every
 * pixel of the region takes the region's one (dominant) class, right or wrong. Void ground truth
 * counts as the undefined class when the dataset has one (as the oracle answers it).
 */
export function oraclePseudoLabels(ids: Int32Array, gt: Uint8Array, labels: ReadonlyMap<number, number>, labelling: RunConfig['labelling'], numClasses: number, hasUndefinedClass: boolean): Int32Array {
  const out = new Int32Array(ids.length).fill(255);
  for (let i = 0; i < ids.length; i++) {
    const mask = labels.get(ids[i]);
    if (mask === undefined || mask === 0) continue;
    if (labelling === 'dominant') {
      out[i] = 31 - Math.clz32(mask);
      continue;
    }
    const c = gt[i] === 255 ? (hasUndefinedClass ? numClasses : -1) : gt[i];
    if (c >= 0 && mask & (1 << c)) out[i] = c;
  }
  return out;
}

/** A sample id as one file name (ids may contain folders). */
function fileSafe(id: string): string {
  return id.replace(/[\\/]+/g, '_');
}

/** What a round without a validation split reports: every figure NaN (null in metrics.json, blank in the CSV). */
function notEvaluated(classes: number): IoUReport {
  return { miou: NaN, miouAllClasses: NaN, pixelAccuracy: NaN, perClass: new Array<number>(classes).fill(NaN) };
}

function pick(r: IoUReport) {
  return { miou: r.miou, miouAllClasses: r.miouAllClasses, pixelAccuracy: r.pixelAccuracy, perClass: r.perClass };
}

/** mIoU on the validation split; saves colour PNGs of the first few predictions. */
export async function evaluate(model: DeepLabV3Plus, val: Dataset, cfg: Pick<RunConfig, 'valLimit' | 'visualise'>, visDir: string | null, tag: string): Promise<IoUReport> {
  const cm = new ConfusionMatrix(val.numClasses);
  const n = cfg.valLimit > 0 ? Math.min(cfg.valLimit, val.samples.length) : val.samples.length;
  try {
    for (let i = 0; i < n; i++) {
      const sample = val.samples[i];
      const loaded = val.load(sample);
      await tidy(async () => {
        const { logits } = predictImage(model, loaded);
        cm.add(logits, Int32Array.from(loaded.label), loaded.width);
        if (visDir && i < cfg.visualise) {
          const pred = await labelMap(logits, val.numClasses, loaded);
          writeLabelPng(join(visDir, `${fileSafe(sample.id)}-${tag}.png`), pred, loaded.width, loaded.height, val.palette);
          const common = join(visDir, '..');
          if (!existsSync(join(common, `${fileSafe(sample.id)}-image.png`))) {
            writeRgbPng(join(common, `${fileSafe(sample.id)}-image.png`), { width: loaded.width, height: loaded.height, data: loaded.image });
            writeLabelPng(join(common, `${fileSafe(sample.id)}-gt.png`), loaded.label, loaded.width, loaded.height, val.palette);
          }
        }
      });
    }
    return await cm.report();
  } finally {
    cm.dispose();
  }
}

/** Pseudo-labels of every labelled image, as PNGs stage 2 reads; returns their coverage and accuracy. */
async function writePseudoLabels(
  model: DeepLabV3Plus,
  pool: Pool,
  images: number[],
  cfg: RunConfig,
  dir: string,
  visDir: string,
): Promise<{ coverage: number; accuracy: number }> {
  let labelled = 0;
  let correct = 0;
  let total = 0;
  const ds = pool.dataset;
  const flags = { localise: cfg.ablation.localise, expand: cfg.ablation.expand, reading: cfg.reading, tau: cfg.tau };
  for (const [k, index] of images.entries()) {
    const img = pool.images[index];
    const loaded = ds.load(ds.samples[index]);
    const label =
      cfg.pseudo === 'oracle'
        ? oraclePseudoLabels(img.map.ids, loaded.label, pool.labelsOf(index), cfg.labelling, ds.numClasses, ds.hasUndefinedClass)
        : await imagePseudoLabels(model, loaded, { ids: img.map.ids, pixels: img.pixels, adjacency: img.adjacency }, pool.labelsOf(index), flags);
    const bytes = Uint8Array.from(label, (v) => (v < 0 || v > 255 ? 255 : v));
    writeGreyPng(join(dir, `${img.id}.png`), { width: loaded.width, height: loaded.height, data: bytes });
    if (k < cfg.visualise) writeLabelPng(join(visDir, `${fileSafe(img.id)}-pseudo.png`), bytes, loaded.width, loaded.height, ds.palette);
    for (let i = 0; i < bytes.length; i++) {
      total++;
      const gt = loaded.label[i];
      const gtClass = gt === 255 ? (ds.hasUndefinedClass ? ds.numClasses : 255) : gt;
      if (bytes[i] !== 255) {
        labelled++;
        if (bytes[i] === gtClass) correct++;
      }
    }
  }
  // Images without ground truth (a folder's pool) have no accuracy to measure.
  return { coverage: total ? labelled / total : 0, accuracy: ds.labelled === false ? NaN : labelled ? correct / labelled : 0 };
}
