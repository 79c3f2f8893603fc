// The host-side tables the stage-1 losses read for one batch: which labelled region each pixel
// belongs to, each region's label set, the weight of each pixel term and of each (region, class)
// pair, and each region's pixel list. The two readings of the loss normalisation differ only in
// these weights (docs/method.md, "Where the code and the text differ", 1 and 2):
//   'code': every CE (MP) pixel term weighs lambda / (1 + number of CE (MP) pixels in the batch),
//           every PP pair weighs lambda_PP / (1 + number of pairs);
//   'text': a region's pixel terms are averaged, then regions are averaged (Eqs. 6-7); a region's
//           pairs are averaged over its classes, then over regions (Eq. 9).

import { PARTIAL_LABEL_LOSSES, type PartialLabelLoss } from '../kernels/partial-label-loss.wgsl.js';
import type { RegionBatch } from '../kernels/region-loss.wgsl.js';

export type { RegionBatch };
export type LossReading = 'code' | 'text';

/**
 * Stage 1's loss on multi-class regions: the method's merged positive and prototypical pixel terms
 * (mp-pp), or one of the partial-label baselines of the paper's Fig. 12(a) in their place
 * (docs/method-readings.md). Single-class regions get the CE term in all three.
 */
export const STAGE1_LOSSES = ['mp-pp', ...PARTIAL_LABEL_LOSSES] as const;
export type Stage1Loss = 'mp-pp' | PartialLabelLoss;

/** The adjacency each reading expands labels over: 8 for the code's 3x3 dilation, 4 for the text's "adjacent". */
export function readingConnectivity(reading: LossReading): 4 | 8 {
  return reading === 'text' ? 4 : 8;
}

export interface LossWeights {
  ce: number;
  mp: number;
  pp: number;
}

/** lambda_CE = 16, lambda_MP = 8, PP 1 (Eq. 10 and Sec. 4 "Implementation details"). */
export const DEFAULT_LOSS_WEIGHTS: LossWeights = { ce: 16, mp: 8, pp: 1 };

export function popcount(mask: number): number {
  let m = mask >>> 0;
  let n = 0;
  while (m) {
    m &= m - 1;
    n++;
  }
  return n;
}

/** Each region's pixels in pixel order: region r holds regionPixels[regionStart[r] .. regionStart[r + 1]). */
function pixelLists(regionOf: Int32Array, R: number): Pick<RegionBatch, 'regionStart' | 'regionPixels'> {
  const regionStart = new Int32Array(R + 1);
  for (const r of regionOf) if (r >= 0) regionStart[r + 1]++;
  for (let r = 0; r < R; r++) regionStart[r + 1] += regionStart[r];
  const regionPixels = new Int32Array(regionStart[R]);
  const fill = regionStart.slice(0, R);
  for (let i = 0; i < regionOf.length; i++) if (regionOf[i] >= 0) regionPixels[fill[regionOf[i]]++] = i;
  return { regionStart, regionPixels };
}

/** The (region, class, weight) rows of the pair loss, collected in order and packed as the batch's columns. */
function pairRows() {
  const region: number[] = [];
  const cls: number[] = [];
  const weight: number[] = [];
  return {
    weight,
    get length(): number {
      return region.length;
    },
    push(r: number, c: number, w: number): void {
      region.push(r);
      cls.push(c);
      weight.push(w);
    },
    columns: (): Pick<RegionBatch, 'pairRegion' | 'pairClass' | 'pairWeight'> => ({
      pairRegion: Int32Array.from(region),
      pairClass: Int32Array.from(cls),
      pairWeight: Float32Array.from(weight),
    }),
  };
}

/**
 * Builds the tables from per-pixel ids (any integer key per labelled region, e.g. image * 65536 +
 * superpixel, or -1) and the label set of each key. Keys without a label are treated as unlabelled.
 */
export function buildRegionBatch(
  pixelKeys: Int32Array,
  labelOf: (key: number) => number | undefined,
  classes: number,
  options: { weights?: LossWeights; reading?: LossReading } = {},
): RegionBatch {
  if (classes > 32) throw new Error(`region losses support at most 32 classes (label sets are 32-bit masks), got ${classes}`);
  const weights = options.weights ?? DEFAULT_LOSS_WEIGHTS;
  const reading = options.reading ?? 'code';
  const npix = pixelKeys.length;
  const index = new Map<number, number>();
  const masks: number[] = [];
  const regionOf = new Int32Array(npix).fill(-1);
  const counts: number[] = [];
  for (let i = 0; i < npix; i++) {
    const key = pixelKeys[i];
    if (key < 0) continue;
    let r = index.get(key);
    if (r === undefined) {
      const mask = labelOf(key);
      if (mask === undefined || mask === 0) continue;
      r = masks.length;
      index.set(key, r);
      masks.push(mask >>> 0);
      counts.push(0);
    }
    regionOf[i] = r;
    counts[r]++;
  }
  const R = masks.length;

  let cePixels = 0;
  let mpPixels = 0;
  let ceRegions = 0;
  let mpRegions = 0;
  for (let r = 0; r < R; r++) {
    if (popcount(masks[r]) === 1) {
      cePixels += counts[r];
      ceRegions++;
    } else {
      mpPixels += counts[r];
      mpRegions++;
    }
  }
  const pixelWeight = new Float32Array(R);
  const pairOffset = new Int32Array(R).fill(-1);
  const pairs = pairRows();
  for (let r = 0; r < R; r++) {
    const n = popcount(masks[r]);
    const single = n === 1;
    const lambda = single ? weights.ce : weights.mp;
    pixelWeight[r] = reading === 'code' ? lambda / (1 + (single ? cePixels : mpPixels)) : lambda / ((single ? ceRegions : mpRegions) * counts[r]);
    if (single || weights.pp === 0) continue;
    pairOffset[r] = pairs.length;
    for (let c = 0; c < classes; c++) {
      if (masks[r] & (1 << c)) pairs.push(r, c, reading === 'text' ? weights.pp / (n * mpRegions) : 0);
    }
  }
  if (reading === 'code') pairs.weight.fill(weights.pp / (1 + pairs.length));
  return {
    npix,
    classes,
    regionOf,
    labelMask: Uint32Array.from(masks),
    pixelWeight,
    pairOffset,
    ...pairs.columns(),
    ...pixelLists(regionOf, R),
    ceRegions,
    mpRegions,
    cePixels,
    mpPixels,
  };
}

/**
 * Tables for plain pixel cross-entropy on a dense label map (stage 2 on pseudo-labels): every
 * labelled pixel is a single-class "region" of its own, weighted 1 / (number of labelled pixels),
 * so the fused kernel computes the mean CE over pixels with a label (255 and ids >= classes ignored).
 */
export function pixelLabelBatch(labels: ArrayLike<number>, classes: number): RegionBatch {
  const npix = labels.length;
  const regionOf = new Int32Array(npix).fill(-1);
  const masks: number[] = [];
  for (let i = 0; i < npix; i++) {
    const l = labels[i];
    if (l >= 0 && l < classes) {
      regionOf[i] = masks.length;
      masks.push((1 << l) >>> 0);
    }
  }
  const R = masks.length;
  return {
    npix,
    classes,
    regionOf,
    labelMask: Uint32Array.from(masks),
    pixelWeight: new Float32Array(R).fill(R > 0 ? 1 / R : 0),
    pairOffset: new Int32Array(R).fill(-1),
    ...pairRows().columns(),
    ...pixelLists(regionOf, R),
    ceRegions: R,
    mpRegions: 0,
    cePixels: R,
    mpPixels: 0,
  };
}

/**
 * The tables of pixels [start, end) of a batch, for splitting a batch into micro-batches whose
 * losses add up to the whole batch's: weights stay those computed over the whole batch, region
 * ids stay global, pixel lists are re-indexed, and only pairs of regions present are kept. Regions
 * must not straddle the cut (true when cutting between images).
 */
export function sliceRegionBatch(b: RegionBatch, start: number, end: number): RegionBatch {
  const R = b.labelMask.length;
  const regionOf = b.regionOf.slice(start, end);
  const { regionStart, regionPixels } = pixelLists(regionOf, R);
  const pairOffset = new Int32Array(R).fill(-1);
  const pairs = pairRows();
  for (let r = 0; r < R; r++) {
    if (b.pairOffset[r] < 0 || regionStart[r + 1] === regionStart[r]) continue;
    if (regionStart[r + 1] - regionStart[r] !== b.regionStart[r + 1] - b.regionStart[r]) {
      throw new Error(`sliceRegionBatch: region ${r} straddles the cut at pixels [${start}, ${end})`);
    }
    pairOffset[r] = pairs.length;
    for (let k = 0; k < popcount(b.labelMask[r]); k++) {
      const j = b.pairOffset[r] + k;
      pairs.push(r, b.pairClass[j], b.pairWeight[j]);
    }
  }
  return {
    ...b,
    npix: end - start,
    regionOf,
    pairOffset,
    ...pairs.columns(),
    regionStart,
    regionPixels,
  };
}

/**
 * The largest micro-batch (halving from `batch`, down to `smallest`) for which `tryForward(m)`
 * does not throw a limit error; rethrows when even the smallest does not fit. Training with batch
 * norm needs at least 2 images (the ASPP pooling branch has one value per image and channel).
 */
export function chooseMicroBatch(batch: number, tryForward: (m: number) => void, isLimit: (e: unknown) => boolean, smallest = 1): number {
  let m = batch;
  for (;;) {
    try {
      tryForward(m);
      return m;
    } catch (e) {
      if (!isLimit(e) || m <= smallest) throw e;
      m = Math.max(smallest, Math.ceil(m / 2));
    }
  }
}
