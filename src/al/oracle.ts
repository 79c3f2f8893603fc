// Simulated annotator (docs/method.md, "Oracle simulation"; paper Sec. 3.1). Region answers are read
// from full-resolution ground truth:
// - multi-class: the classes present in the region once a boundary band is removed (thick
//   superpixel boundaries dilated by a 5x5 square), or in the whole region when the band covers
//   it; one click per class;
// - dominant: the region's majority class (or one drawn with probability proportional to pixel
//   counts); one click.
// Void (255) answers the "undefined" class C where the dataset has one, and is ignored otherwise.
import { numOutputs, voidClass } from '../data/dataset.js';
import type { Rng } from '../data/rng.js';
import type { RegionMap } from '../superpixels/region-map.js';
import { dilateSquare } from '../superpixels/quality.js';

export interface OracleOptions {
  /** Real classes C; GT values 0..C-1, plus 255 for void. */
  numClasses: number;
  /** Whether void maps to the extra class C (Cityscapes, synthetic) or is ignored (VOC). */
  hasUndefinedClass: boolean;
  /** Dilation radius of the boundary band: 2 gives the reference's 5x5 square. */
  bandRadius?: number;
}

export interface RegionAnswers {
  count: number;
  /** Labels per answer: C + 1 with an undefined class, else C. */
  numLabels: number;
  /** Multi-hot, region r's label set at labels[r * numLabels .. (r + 1) * numLabels). */
  labels: Uint8Array;
  /** Clicks each region's answer costs. */
  costs: Int32Array;
}

/**
 * Pixels near a superpixel boundary: a pixel with a 4-neighbour in another region is a (thick,
 * two-sided) boundary pixel, as skimage's find_boundaries(mode='thick'); the band is that mask
 * dilated by a (2r+1)^2 square.
 */
export function boundaryBand(map: RegionMap, radius = 2): Uint8Array {
  const { width, height, ids } = map;
  const thick = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const a = ids[p]!;
      if ((x > 0 && ids[p - 1] !== a) || (x + 1 < width && ids[p + 1] !== a) || (y > 0 && ids[p - width] !== a) || (y + 1 < height && ids[p + width] !== a)) {
        thick[p] = 1;
      }
    }
  }
  return dilateSquare(thick, width, height, radius);
}

/** Label index of a GT value, or -1 when it is ignored; throws on values outside the classes. */
function labelIndex(v: number, o: OracleOptions): number {
  if (v === 255) return voidClass(o);
  if (v >= o.numClasses) throw new Error(`oracle: ground-truth value ${v} is neither a class (0..${o.numClasses - 1}) nor void (255)`);
  return v;
}

/** Per-region label histograms: over all pixels, and over pixels outside the band. */
function regionHistograms(map: RegionMap, gt: Uint8Array, o: OracleOptions, band: Uint8Array | null): { all: Int32Array; outside: Int32Array } {
  if (gt.length !== map.ids.length) throw new Error(`oracle: ground truth has ${gt.length} pixels, region map ${map.ids.length}`);
  const K = numOutputs(o);
  const all = new Int32Array(map.count * K);
  const outside = new Int32Array(map.count * K);
  for (let p = 0; p < gt.length; p++) {
    const k = labelIndex(gt[p]!, o);
    if (k < 0) continue;
    const r = map.ids[p]!;
    all[r * K + k]! += 1;
    if (band && !band[p]) outside[r * K + k]! += 1;
  }
  return { all, outside };
}

/** Multi-class label query answers for every region of one image. */
export function multiClassAnswers(map: RegionMap, gt: Uint8Array, o: OracleOptions): RegionAnswers {
  const K = numOutputs(o);
  const band = boundaryBand(map, o.bandRadius ?? 2);
  // Pixels outside the band per region, void included: decides "the band swallowed the region".
  const kept = new Int32Array(map.count);
  for (let p = 0; p < band.length; p++) if (!band[p]) kept[map.ids[p]!]! += 1;
  const { all, outside } = regionHistograms(map, gt, o, band);
  const labels = new Uint8Array(map.count * K);
  const costs = new Int32Array(map.count);
  for (let r = 0; r < map.count; r++) {
    const src = kept[r]! > 0 ? outside : all;
    for (let k = 0; k < K; k++) {
      if (src[r * K + k]! > 0) {
        labels[r * K + k] = 1;
        costs[r]! += 1;
      }
    }
  }
  return { count: map.count, numLabels: K, labels, costs };
}

export interface DominantAnswers extends RegionAnswers {
  /** The answered label per region, -1 when the region holds only ignored pixels. */
  dominant: Int32Array;
}

/**
 * Dominant-class answers over all pixels of each region: the majority label (ties to the lower
 * index), or with `rng` a label drawn with probability proportional to its pixel count.
 */
export function dominantAnswers(map: RegionMap, gt: Uint8Array, o: OracleOptions, rng?: Rng): DominantAnswers {
  const K = numOutputs(o);
  const { all } = regionHistograms(map, gt, o, null);
  const labels = new Uint8Array(map.count * K);
  const costs = new Int32Array(map.count);
  const dominant = new Int32Array(map.count).fill(-1);
  for (let r = 0; r < map.count; r++) {
    let total = 0;
    let best = -1;
    for (let k = 0; k < K; k++) {
      const c = all[r * K + k]!;
      total += c;
      if (c > 0 && (best < 0 || c > all[r * K + best]!)) best = k;
    }
    if (total === 0) continue;
    if (rng) {
      let u = rng.float() * total;
      for (let k = 0; k < K; k++) {
        u -= all[r * K + k]!;
        if (u < 0) {
          best = k;
          break;
        }
      }
    }
    dominant[r] = best;
    labels[r * K + best] = 1;
    costs[r] = 1;
  }
  return { count: map.count, numLabels: K, labels, costs, dominant };
}

/** The multi-hot answers as one 32-bit mask per region (bit k = label k), for GPU upload. */
export function answerBitmasks(a: RegionAnswers): Uint32Array {
  if (a.numLabels > 32) throw new Error(`answerBitmasks: ${a.numLabels} labels do not fit 32 bits`);
  const out = new Uint32Array(a.count);
  for (let r = 0; r < a.count; r++) {
    let m = 0;
    for (let k = 0; k < a.numLabels; k++) if (a.labels[r * a.numLabels + k]) m |= 1 << k;
    out[r] = m >>> 0;
  }
  return out;
}
