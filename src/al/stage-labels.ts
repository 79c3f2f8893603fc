// What sets one training stage apart from another: where its labels come from (the pool's labelled
// superpixels, or pixel label maps on disk) and how a batch's loss tables are built from them. The
// trainer (trainer.ts) runs every stage the same way on one of these.
import type { RunConfig } from './config.js';
import type { Batch } from '../loader/augment.js';
import type { BatchSourceConfig } from '../loader/batch-source.js';
import type { Pool } from './pool.js';
import { buildRegionBatch, pixelLabelBatch, type RegionBatch, type Stage1Loss } from './region-batch.js';

/** The two trainings of a round: on the partial labels, then on the pseudo-labels. */
export type StageName = 'stage1' | 'stage2';

export interface StageLabels {
  stage: StageName;
  /** What the loader reads besides the images, and where the labelled-crop sampler anchors crops. */
  source: Pick<BatchSourceConfig, 'superpixels' | 'labelDir' | 'labelledCrops'>;
  /** The loss tables of a batch: region labels (stage 1) or pixel labels (stage 2), one RegionBatch. */
  tables(b: Batch): RegionBatch;
  /** The loss on those tables: the method's region losses, or a partial-label baseline (stage 1 only). */
  loss: Stage1Loss;
}

/** The labelled-crop sampler's setting, unless the run asked for the authors' plain random crops. */
function sampled(cfg: RunConfig, crops: NonNullable<BatchSourceConfig['labelledCrops']>): BatchSourceConfig['labelledCrops'] {
  return (cfg.sampler ?? 'labelled') === 'random' ? undefined : crops;
}

/**
 * Stage 1: the multi-class (or dominant) labels of the pool's labelled superpixels in `images`,
 * through the region losses (CE, MP, PP with the run's weights; an ablated term weighs 0), or CE and
 * a partial-label baseline weighted as MP, without PP.
 */
export function regionLabels(cfg: RunConfig, pool: Pool, images: readonly number[]): StageLabels {
  const loss = cfg.stage1Loss;
  const pp = loss === 'mp-pp' && cfg.ablation.pp ? cfg.weights.pp : 0;
  const weights = { ce: cfg.weights.ce, mp: cfg.ablation.mp ? cfg.weights.mp : 0, pp };
  return {
    stage: 'stage1',
    loss,
    source: {
      superpixels: { spec: cfg.superpixels, cacheDir: pool.cacheDir },
      labelledCrops: sampled(cfg, { regions: Object.fromEntries(images.map((i) => [i, [...pool.labelsOf(i).keys()]])) }),
    },
    tables: (b) =>
      buildRegionBatch(
        // Keys: dataset index * 65536 + superpixel id (region ids are per image).
        Int32Array.from(b.regions, (r, i) => (r < 0 ? -1 : b.indices[Math.floor(i / (b.height * b.width))] * 65536 + r)),
        (key) => pool.labelsOf(Math.floor(key / 65536)).get(key % 65536),
        pool.outputs,
        { weights, reading: cfg.reading },
      ),
  };
}

/**
 * Stage 2: pixel labels (255 = ignore) through pixel CE, read from `<labelDir>/<sample id>.png`
 * (pseudo-labels), or without a folder the dataset's ground truth (the fully supervised reference).
 */
export function pixelLabels(cfg: RunConfig, pool: Pool, labelDir?: string): StageLabels {
  return {
    stage: 'stage2',
    source: { superpixels: null, labelDir, labelledCrops: sampled(cfg, {}) },
    tables: (b) => pixelLabelBatch(b.labels, pool.outputs),
    loss: 'mp-pp',
  };
}
