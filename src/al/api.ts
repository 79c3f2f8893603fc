// The method's operations on plain typed arrays with shapes, for use outside the loop (a researcher
// with logits from elsewhere). Each initialises the engine when needed and frees what it allocates.
import { backward } from '../engine/backward.js';
import { readF32 } from '../engine/io.js';
import { initEngine } from '../engine/runtime.js';
import { Tensor, tidy } from '../engine/tensor.js';
import { regionStats, scoreRegions, type Acquisition, type ImageRegionStats, type RegionRef } from './acquisition.js';
import { regionMeanFeatures, regionUncertainty } from './uncertainty.js';
import { readingLossOptions, regionLoss, type RegionLossOptions } from './losses.js';
import { ConfusionMatrix, type IoUReport } from './metrics.js';
import { DEFAULT_PSEUDO_FLAGS, pseudoLabels, type PseudoLabelFlags } from './pseudo-labels.js';
import { buildRegionBatch, readingConnectivity, type LossReading, type LossWeights } from './region-batch.js';
import { regionAdjacency, regionPixels } from '../superpixels/adjacency.js';
import type { RegionMap } from '../superpixels/region-map.js';

/** Row-major values with their shape; the last axis is classes (or feature channels). */
export interface ArrayTensor {
  data: Float32Array;
  shape: readonly number[];
}

const upload = (a: ArrayTensor) => Tensor.fromArray(a.data, a.shape);

/**
 * Stage-1 loss and its gradient w.r.t. the logits. `regionOf` gives each pixel's region key (-1 =
 * none) and `labels` the label bitmask of each labelled key.
 */
export async function regionLossOnArrays(
  logits: ArrayTensor,
  regionOf: Int32Array,
  labels: ReadonlyMap<number, number>,
  options: RegionLossOptions & { weights?: LossWeights; reading?: LossReading } = {},
): Promise<{ total: number; ce: number; mp: number; pp: number; grad: Float32Array }> {
  await initEngine();
  const classes = logits.shape[logits.shape.length - 1];
  const batch = buildRegionBatch(regionOf, (k) => labels.get(k), classes, options);
  return tidy(async () => {
    const z = upload(logits);
    z.requiresGrad = true;
    const reading = readingLossOptions(options.reading ?? 'code', options.tau ?? 0.1);
    const l = regionLoss(z, batch, { tau: reading.tau, eps: options.eps ?? reading.eps });
    const [total, ce, mp, pp] = await Promise.all([l.total, l.ce, l.mp, l.pp].map(async (t) => (await readF32(t))[0]));
    backward(l.total);
    const grad = await readF32(z.grad!);
    z.grad!.dispose();
    return { total, ce, mp, pp, grad };
  });
}

/**
 * Per-region statistics of one image's logits [H, W, C] over its superpixels. `extra.uncertainty`:
 * T >= 1 logit maps [T, h, w, C] (the logits themselves for Margin and Entropy, Monte-Carlo dropout
 * passes for BALD) whose region margin, entropy and mutual information are added;
 * `extra.features`: a feature map [h, w, D] whose region means KNN reads. Both at any resolution.
 */
export async function regionStatsOnArrays(logits: ArrayTensor, regions: RegionMap, tau = 0.1, extra: { uncertainty?: ArrayTensor; features?: ArrayTensor } = {}): Promise<ImageRegionStats> {
  await initEngine();
  const px = regionPixels(regions);
  const image = { width: regions.width, height: regions.height };
  return tidy(async () => {
    const stats = await regionStats(upload(logits), tau, px.offsets, px.pixels);
    const u = extra.uncertainty;
    if (u) stats.uncertainty = await regionUncertainty(upload(u), u.shape.length === 4 ? u.shape[0] : 1, tau, px.offsets, px.pixels, image);
    if (extra.features) stats.features = await regionMeanFeatures(upload(extra.features), px.offsets, px.pixels, image);
    return stats;
  });
}

/**
 * Acquisition scores of candidate regions of a pool (statistics from regionStatsOnArrays). KNN
 * measures distances to the `knn.labelled` regions, averaging over the nearest `knn.k` (5).
 */
export function acquisitionScores(
  kind: Acquisition,
  stats: readonly ImageRegionStats[],
  candidates: readonly RegionRef[],
  nu: number,
  undefinedClass?: number,
  knn: { labelled?: readonly RegionRef[]; k?: number } = {},
): Float64Array {
  return scoreRegions(kind, stats, candidates, { nu, undefinedClass, ...knn });
}

/**
 * Stage-2 pseudo-labels of one image from logits [H, W, C] and features [h, w, D], at the image's
 * resolution or any other (e.g. the model's 1/4: they are sampled bilinearly per pixel).
 */
export async function pseudoLabelsOnArrays(logits: ArrayTensor, features: ArrayTensor, regions: RegionMap, labels: ReadonlyMap<number, number>, flags: PseudoLabelFlags = DEFAULT_PSEUDO_FLAGS): Promise<Int32Array> {
  await initEngine();
  return tidy(async () =>
    pseudoLabels({ logits: upload(logits), features: upload(features), width: regions.width, ids: regions.ids, pixels: regionPixels(regions), adjacency: regionAdjacency(regions, readingConnectivity(flags.reading ?? 'code')), labels }, flags),
  );
}

/** mIoU of logits [.., K] against ground truth (255 = ignore) over the first `classes` outputs. */
export async function miouOnArrays(logits: ArrayTensor, truth: ArrayLike<number>, classes: number): Promise<IoUReport> {
  await initEngine();
  const cm = new ConfusionMatrix(classes);
  try {
    tidy(() => cm.add(upload(logits), Int32Array.from(truth)));
    return await cm.report();
  } finally {
    cm.dispose();
  }
}
