// What a run reads before it trains: its dataset (generated first when synthetic), checked as a
// whole before anything is written; the pool of its training split with superpixels; and a model
// at its initial weights. Shared by the active-learning loop and the fully supervised reference.
import type { DeepLabV3Plus } from '../model/deeplabv3plus.js';
import { createModel } from '../model/presets.js';
import { importResNetWeights } from '../model/weights.js';
import type { RunConfig } from '../al/config.js';
import type { Dataset } from '../data/dataset.js';
import { folderHasSplit } from '../data/folder.js';
import { openDataset } from '../data/open-dataset.js';
import { DataCheckError, preflightCheck } from '../data/preflight.js';
import { DEFAULT_SYNTHETIC, ensureSyntheticDataset } from '../data/synthetic.js';
import { Pool } from '../al/pool.js';
import { buildSuperpixelCache, defaultSuperpixelCacheDir } from '../superpixels/cache.js';
import { readingConnectivity } from '../al/region-batch.js';

/** A step a run reports before or between its iterations (what it does now, and how far). */
export interface PhaseEvent {
  kind: 'phase';
  round: number;
  phase: string;
  detail?: string;
}

export function openRunDataset(cfg: RunConfig, split: string): Dataset {
  ensureRunDataset(cfg);
  return openDataset(cfg.dataset, cfg.root, split);
}

/** A folder of plain images may come without a labelled validation split: then nothing is evaluated. */
export function hasValSplit(cfg: RunConfig): boolean {
  return cfg.dataset !== 'folder' || folderHasSplit(cfg.root, 'val');
}

/**
 * Every image and label of the splits the run reads, opened and validated before any training;
 * throws a DataCheckError listing every problem (see preflight.ts).
 */
export async function checkRunData(cfg: RunConfig, emit: (e: PhaseEvent) => void = () => undefined): Promise<void> {
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

/** The training split as regions to label: superpixels computed (or read from their cache) first. */
export async function openRunPool(cfg: RunConfig, train: Dataset, emit: (e: PhaseEvent) => void): Promise<Pool> {
  const cacheDir = defaultSuperpixelCacheDir(train, cfg.superpixels);
  await buildSuperpixelCache(train, cfg.superpixels, cacheDir, (p) => emit({ kind: 'phase', round: 0, phase: 'superpixels', detail: `${p.done}/${p.total}` }));
  return new Pool(train, cfg.superpixels, cacheDir, cfg.labelling, cfg.dominant, cfg.seed, readingConnectivity(cfg.reading));
}

/** A model at the run's initial weights (every stage of every round starts from them). */
export async function initialModel(cfg: RunConfig, train: Dataset): Promise<DeepLabV3Plus> {
  const model = createModel(cfg.preset, { numClasses: train.numClasses, undefinedClass: train.hasUndefinedClass, seed: cfg.seed });
  if (cfg.pretrained) await importResNetWeights(model.backbone, cfg.pretrained);
  return model;
}
