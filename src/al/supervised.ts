// The fully supervised reference the paper's numbers are relative to ("95% of full supervision"):
// the same model and initial weights as the active-learning runs, trained like stage 2 (pixel CE)
// on every pixel label of the whole training split, then evaluated on the validation split. Its run
// directory holds config.json, the checkpoint, training/ (loss curve) and metrics.json like an AL
// run's, with one "round" that spent no clicks; a killed run resumes from its checkpoint.
import { join } from 'node:path';
import { createModel } from '../model/presets.js';
import { importResNetWeights } from '../model/weights.js';
import type { RunConfig } from './config.js';
import { Pool } from './pool.js';
import { writeMetrics, type RoundMetrics } from './report.js';
import { evaluate, openRunDataset, openRunDirectory, type LoopEvent, type LoopResult } from './rounds.js';
import { buildSuperpixelCache, defaultSuperpixelCacheDir } from './superpixels/cache.js';
import { readStageLog, trainStage, type TrainEnv } from './trainer.js';

export async function runSupervised(cfg: RunConfig, options: { resume?: boolean; onEvent?: (e: LoopEvent) => void } = {}): Promise<LoopResult> {
  const emit = options.onEvent ?? (() => undefined);
  const dir = cfg.out;
  await openRunDirectory(cfg, options.resume, emit);
  const train = openRunDataset(cfg, 'train');
  const val = openRunDataset(cfg, 'val');
  // The pool is only the trainer's view of the split (dataset, BN recalibration); nothing is selected.
  const cacheDir = defaultSuperpixelCacheDir(train, cfg.superpixels);
  await buildSuperpixelCache(train, cfg.superpixels, cacheDir, (p) => emit({ kind: 'phase', round: 0, phase: 'superpixels', detail: `${p.done}/${p.total}` }));
  const pool = new Pool(train, cfg.superpixels, cacheDir, cfg.labelling, cfg.dominant, cfg.seed);
  const t0 = performance.now();
  const env: TrainEnv = {
    cfg,
    pool,
    createModel: async () => {
      const model = createModel(cfg.preset, { numClasses: train.numClasses, undefinedClass: train.hasUndefinedClass, seed: cfg.seed });
      if (cfg.pretrained) await importResNetWeights(model.backbone, cfg.pretrained);
      return model;
    },
    onNotice: (message) => emit({ kind: 'phase', round: 0, phase: 'note', detail: message }),
    onProgress: (p) => {
      const ms = (performance.now() - t0) / Math.max(p.iteration, 1);
      emit({ kind: 'iteration', progress: p, etaSeconds: ((p.iterations - p.iteration) * ms) / 1000 });
    },
  };
  const images = train.samples.map((_, i) => i);
  emit({ kind: 'phase', round: 1, phase: 'supervised', detail: `${images.length} images, every pixel label` });
  const log = join(dir, 'training', 'round-1-stage2.json');
  const model = await trainStage(env, { stage: 'stage2', round: 1, iterations: cfg.stage2Iterations, lr: cfg.lr2, images, checkpoint: join(dir, 'checkpoints', 'supervised.safetensors'), log });
  emit({ kind: 'phase', round: 1, phase: 'evaluate' });
  const iou = await evaluate(model, val, cfg, join(dir, 'vis'), 'supervised');
  model.dispose();
  const summary = readStageLog(log);
  const scores = { miou: iou.miou, miouAllClasses: iou.miouAllClasses, pixelAccuracy: iou.pixelAccuracy, perClass: iou.perClass };
  const m: RoundMetrics = {
    round: 1,
    clicks: 0,
    totalClicks: 0,
    regions: 0,
    multiClassShare: 0,
    // One model: reported as both stages so the report's "final" and "stage 1" columns read it.
    stage1: scores,
    stage2: scores,
    pseudo: null,
    seconds: (performance.now() - t0) / 1000,
    training: summary
      ? {
          stage1: null,
          stage2: {
            emptyBatchShare: summary.emptyBatches / Math.max(summary.batches, 1),
            emptyCropShare: summary.emptyCrops / Math.max(summary.crops, 1),
            resampledCropShare: summary.resampledCrops / Math.max(summary.crops, 1),
            finalLoss: summary.losses.at(-1)?.[1] ?? null,
          },
        }
      : undefined,
  };
  writeMetrics(dir, [m], train.classNames);
  emit({ kind: 'round', metrics: m });
  return { rounds: [m], dir, labelled: [] };
}
