// Superpixel quality against ground truth (Neubert & Protzel 2012; Stutz et al. 2018 benchmark).
import type { RegionMap } from './region-map.js';

/** 1 where the right or lower neighbour has a different value: one-pixel-thick boundaries. */
export function boundaryMask(values: ArrayLike<number>, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if ((x + 1 < width && values[p + 1] !== values[p]) || (y + 1 < height && values[p + width] !== values[p])) out[p] = 1;
    }
  }
  return out;
}

/** Square dilation with radius r (Chebyshev distance), separable. */
export function dilateSquare(mask: Uint8Array, width: number, height: number, r: number): Uint8Array {
  if (r <= 0) return mask.slice();
  const tmp = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    let last = -Infinity;
    // Forward pass marks pixels within r after a set pixel, backward pass within r before.
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x]) last = x;
      if (x - last <= r) tmp[y * width + x] = 1;
    }
    last = Infinity;
    for (let x = width - 1; x >= 0; x--) {
      if (mask[y * width + x]) last = x;
      if (last - x <= r) tmp[y * width + x] = 1;
    }
  }
  const out = new Uint8Array(mask.length);
  for (let x = 0; x < width; x++) {
    let last = -Infinity;
    for (let y = 0; y < height; y++) {
      if (tmp[y * width + x]) last = y;
      if (y - last <= r) out[y * width + x] = 1;
    }
    last = Infinity;
    for (let y = height - 1; y >= 0; y--) {
      if (tmp[y * width + x]) last = y;
      if (last - y <= r) out[y * width + x] = 1;
    }
  }
  return out;
}

/**
 * Fraction of ground-truth boundary pixels with a superpixel boundary pixel within `tolerance`
 * pixels (Chebyshev). Void (255) counts as a label of its own. 1 when GT has no boundary.
 */
export function boundaryRecall(sp: RegionMap, gt: ArrayLike<number>, tolerance = 2): number {
  const { width, height } = sp;
  const gtb = boundaryMask(gt, width, height);
  const near = dilateSquare(boundaryMask(sp.ids, width, height), width, height, tolerance);
  let total = 0;
  let hit = 0;
  for (let p = 0; p < gtb.length; p++) {
    if (!gtb[p]) continue;
    total++;
    if (near[p]) hit++;
  }
  return total === 0 ? 1 : hit / total;
}

/** Per-superpixel counts of each GT value (0..255): the overlap table both errors below use. */
function overlaps(sp: RegionMap, gt: ArrayLike<number>): Int32Array {
  const table = new Int32Array(sp.count * 256);
  for (let p = 0; p < sp.ids.length; p++) table[sp.ids[p]! * 256 + (gt[p]! & 255)]! += 1;
  return table;
}

/**
 * Undersegmentation error as Neubert & Protzel define it: for every superpixel S and GT segment G
 * that overlap, the smaller of |S ∩ G| and |S \ G|, summed and divided by the pixel count. GT
 * segments are GT labels (void is one label).
 */
export function undersegmentationError(sp: RegionMap, gt: ArrayLike<number>): number {
  const table = overlaps(sp, gt);
  let sum = 0;
  for (let k = 0; k < sp.count; k++) {
    let size = 0;
    for (let g = 0; g < 256; g++) size += table[k * 256 + g]!;
    for (let g = 0; g < 256; g++) {
      const c = table[k * 256 + g]!;
      if (c > 0) sum += Math.min(c, size - c);
    }
  }
  return sum / sp.ids.length;
}

/** Achievable segmentation accuracy: the pixel accuracy of labelling each superpixel with its majority GT label. */
export function achievableSegmentationAccuracy(sp: RegionMap, gt: ArrayLike<number>): number {
  const table = overlaps(sp, gt);
  let sum = 0;
  for (let k = 0; k < sp.count; k++) {
    let m = 0;
    for (let g = 0; g < 256; g++) m = Math.max(m, table[k * 256 + g]!);
    sum += m;
  }
  return sum / sp.ids.length;
}
