// Everything needed to turn "these sample indices, this seed" into a batch, from a description
// that can cross a worker boundary (plain data: dataset location, superpixel spec, crop settings).
import { hashSeed, Rng } from '../data/rng.js';
import { loadRegions } from '../superpixels/cache.js';
import type { SuperpixelSpec } from '../superpixels/compute.js';
import { IGNORE_LABEL, allocateBatch, anchoredGeometry, augmentInto, drawGeometry, type AugmentOptions, type Batch } from './augment.js';
import type { Dataset, DatasetKind } from '../data/dataset.js';
import { openDataset } from '../data/open-dataset.js';
import { readIndexPng } from '../data/png.js';
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
  /**
   * The labelled-crop sampler: a crop with no labelled pixel is redrawn once around a labelled pixel
   * of its image (anchoredGeometry), so that every batch carries labels even when an image holds
   * one or two labelled regions. Labelled pixels are those of `regions[dataset index]` (stage 1:
   * the image's labelled superpixel ids) or, without `regions`, those whose label is not 255
   * (pseudo-labels, ground truth). Absent: every crop is a plain random crop (the authors' sampler).
   */
  labelledCrops?: { regions?: Record<number, number[]> };
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
      const input = { ...loaded, regions };
      augmentInto(input, drawGeometry(rng, loaded.width, loaded.height, this.config.augment), this.config.augment, batch, n);
      const want = this.config.labelledCrops;
      if (!want) return;
      const wanted = want.regions ? new Set(want.regions[idx] ?? []) : null;
      const labelled = wanted ? (i: number) => wanted.has(regions ? regions[i] : -1) : (i: number) => loaded.label[i] !== IGNORE_LABEL;
      const crop = batch.height * batch.width;
      const held = wanted ? (o: number) => wanted.has(batch.regions[o]) : (o: number) => batch.labels[o] !== IGNORE_LABEL;
      const hasLabel = () => {
        for (let o = n * crop; o < (n + 1) * crop; o++) if (held(o)) return true;
        return false;
      };
      if (hasLabel()) return;
      const anchors: number[] = [];
      for (let i = 0; i < loaded.width * loaded.height; i++) if (labelled(i)) anchors.push(i);
      if (anchors.length > 0) {
        const geo = anchoredGeometry(rng, loaded.width, loaded.height, this.config.augment, anchors[rng.int(anchors.length)]);
        augmentInto(input, geo, this.config.augment, batch, n);
        batch.resampledCrops++;
      }
      if (!hasLabel()) batch.emptyCrops++;
    });
    return batch;
  }
}
