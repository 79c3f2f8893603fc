// Superpixel quality over a dataset split (issue 5: "quality measured, not assumed").
import type { Dataset } from '../data/dataset.js';
import { computeSuperpixels, type SuperpixelSpec } from './compute.js';
import { achievableSegmentationAccuracy, boundaryRecall, undersegmentationError } from './quality.js';

export interface SuperpixelQuality {
  images: number;
  /** Means over images. */
  boundaryRecall: number;
  undersegmentationError: number;
  achievableSegmentationAccuracy: number;
  meanRegions: number;
  msPerImage: number;
}

/** Computes superpixels for every sample (not from the cache: the timing is part of the answer). */
export function evaluateSuperpixels(ds: Dataset, spec: SuperpixelSpec, tolerance = 2, limit = Infinity): SuperpixelQuality {
  const samples = ds.samples.slice(0, Math.min(ds.samples.length, limit));
  let br = 0;
  let ue = 0;
  let asa = 0;
  let regions = 0;
  let ms = 0;
  for (const sample of samples) {
    const { image, label, width, height } = ds.load(sample);
    const t0 = performance.now();
    const sp = computeSuperpixels(spec, image, width, height);
    ms += performance.now() - t0;
    br += boundaryRecall(sp, label, tolerance);
    ue += undersegmentationError(sp, label);
    asa += achievableSegmentationAccuracy(sp, label);
    regions += sp.count;
  }
  const n = Math.max(1, samples.length);
  return {
    images: samples.length,
    boundaryRecall: br / n,
    undersegmentationError: ue / n,
    achievableSegmentationAccuracy: asa / n,
    meanRegions: regions / n,
    msPerImage: ms / n,
  };
}
