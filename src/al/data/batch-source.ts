// Everything needed to turn "these sample indices, this seed" into a batch, from a description
// that can cross a worker boundary (plain data: dataset location, superpixel spec, crop settings).
import { hashSeed, Rng } from '../rng.js';
import { loadRegions } from '../superpixels/cache.js';
import type { SuperpixelSpec } from '../superpixels/compute.js';
import { allocateBatch, augmentInto, drawGeometry, type AugmentOptions, type Batch } from './augment.js';
import type { Dataset, DatasetKind } from './dataset.js';
import { openDataset } from './open-dataset.js';
import { readIndexPng } from './png.js';
import { join } from 'node:path';

export interface BatchSourceConfig {
  dataset: { kind: DatasetKind; root: string; split: string };
  /** Region maps to carry through augmentation (read from / written to the cache), or null. */
  superpixels: { spec: SuperpixelSpec; cacheDir: string } | null;
  augment: AugmentOptions;
  /**
   * Read each sample's label map from `<dir>/<sample id>.png` (8-bit, 255 = ignore) instead of the
   * dataset's ground truth: stage 2 trains on pseudo-labels written there.
   */
  labelDir?: string;
}

export interface BatchRequest {
  batchIndex: number;
  indices: number[];
  /** Run seed; the batch's own stream is derived from (seed, batchIndex), so worker or not, the same batch comes out. */
  seed: number;
}

export class BatchSource {
  readonly dataset: Dataset;

  constructor(readonly config: BatchSourceConfig) {
    this.dataset = openDataset(config.dataset.kind, config.dataset.root, config.dataset.split);
  }

  prepare(req: BatchRequest): Batch {
    const rng = new Rng(hashSeed(req.seed, req.batchIndex));
    const batch = allocateBatch(req.indices.length, this.config.augment, req.indices);
    req.indices.forEach((idx, n) => {
      const sample = this.dataset.samples[idx];
      if (!sample) throw new Error(`batch ${req.batchIndex}: sample index ${idx} outside the split (${this.dataset.samples.length} samples)`);
      const loaded = this.dataset.load(sample);
      if (this.config.labelDir) {
        const file = join(this.config.labelDir, `${sample.id}.png`);
        const pseudo = readIndexPng(file);
        if (pseudo.width !== loaded.width || pseudo.height !== loaded.height) {
          throw new Error(`${file}: label map is ${pseudo.width}x${pseudo.height}, image ${sample.imagePath} is ${loaded.width}x${loaded.height}`);
        }
        loaded.label = pseudo.data;
      }
      const sp = this.config.superpixels;
      const regions = sp ? loadRegions(this.dataset, sample, sp.cacheDir, sp.spec).map.ids : null;
      const geo = drawGeometry(rng, loaded.width, loaded.height, this.config.augment);
      augmentInto({ ...loaded, regions }, geo, this.config.augment, batch, n);
    });
    return batch;
  }
}
