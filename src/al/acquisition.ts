// Acquisition functions over the unlabelled pool (paper Sec. 3.1; docs/method.md, "Acquisition"):
// Random, BvSB (Eq. 2, region mean, min-max normalised), ClassBal (exp(-share of the region's
// dominant predicted class) x normalised BvSB) and PixBal (Eqs. 3-4). As in the authors' selection
// scripts, the normalisation and the class shares are taken over the whole pool by default.
// Fig. 13's Margin and KNN, which the authors' code lacks, and the Entropy and BALD of active-learning
// toolkits, in the readings of docs/method-readings.md ("Margin, entropy, BALD and KNN").
// Per-pixel and per-region statistics come from the GPU (kernels/acquisition.wgsl.ts,
// kernels/uncertainty.wgsl.ts); pool-wide normalisation, scoring and the budgeted selection are
// cheap host work over per-region numbers.
import { readF32 } from '../engine/io.js';
import { run } from '../engine/ops/run.js';
import { dense } from '../engine/ops/shape.js';
import { Tensor, tidy } from '../engine/tensor.js';
import { acqPixelsLaunch, acqRegionsLaunch, MAX_ACQ_CLASSES, REGION_STAT_COLUMNS } from '../kernels/acquisition.wgsl.js';
import { gridOf } from '../kernels/grid-sample.wgsl.js';
import { knnScores, unitVector } from './knn.js';
import type { RegionUncertainty } from './uncertainty.js';

export const ACQUISITIONS = ['random', 'bvsb', 'classbal', 'pixbal', 'margin', 'entropy', 'bald', 'knn'] as const;
export type Acquisition = (typeof ACQUISITIONS)[number];

/**
 * What an acquisition reads besides the deterministic statistics: the region uncertainty of the
 * model's output ('uncertainty'), of Monte-Carlo dropout passes ('mc-dropout'), the region mean
 * features ('features'), or nothing more ('stats'; Random reads no model at all).
 */
export const ACQUISITION_INPUT: Record<Acquisition, 'stats' | 'uncertainty' | 'mc-dropout' | 'features'> = {
  random: 'stats',
  bvsb: 'stats',
  classbal: 'stats',
  pixbal: 'stats',
  margin: 'uncertainty',
  entropy: 'uncertainty',
  bald: 'mc-dropout',
  knn: 'features',
};

/** Per-region statistics of one image. */
export interface ImageRegionStats {
  classes: number;
  count: Float32Array;
  meanBvsb: Float32Array;
  majority: Int32Array;
  /** [R * classes]: sum of BvSB over pixels predicted c. */
  bvsbByClass: Float32Array;
  /** [R * classes]: sum of p_c over the region's pixels. */
  probSum: Float32Array;
  /** Region means of margin, entropy and mutual information (Margin, Entropy, BALD), when asked for. */
  uncertainty?: RegionUncertainty;
  /** Region means of the normalised decoder features, [R * channels] (KNN), when asked for. */
  features?: { channels: number; values: Float32Array };
}

/**
 * Region statistics of one image from its logits and its superpixels' CSR pixel lists. Logits are
 * rows [pixel, class] at the image's resolution, or a grid [h, w, class] / [1, h, w, class] at any
 * resolution (the model's 1/4), sampled bilinearly per pixel inside the kernels; a grid needs the
 * `image` size unless it is the image's own.
 */
export async function regionStats(
  logits: Tensor,
  tau: number,
  regionStart: Int32Array,
  regionPixels: Int32Array,
  image?: { width: number; height: number },
): Promise<ImageRegionStats> {
  const classes = logits.shape[logits.rank - 1];
  if (classes > MAX_ACQ_CLASSES) throw new Error(`acquisition supports at most ${MAX_ACQ_CLASSES} classes, got ${classes}`);
  const npix = image ? image.width * image.height : logits.size / classes;
  const grid = gridOf(logits.shape, npix, image?.width, 'acquisition: logits');
  const R = regionStart.length - 1;
  const [stats, byClass] = await tidy(async () => {
    const z = dense(logits);
    const bvsb = Tensor.empty([npix]);
    const arg = Tensor.empty([npix], 'i32');
    const lse = Tensor.empty([npix]);
    run(acqPixelsLaunch(classes, tau, grid), { z, bvsb, arg, lse });
    const starts = Tensor.fromArray(regionStart, [R + 1], 'i32');
    const pixels = Tensor.fromArray(regionPixels, [regionPixels.length], 'i32');
    const stats = Tensor.empty([R, REGION_STAT_COLUMNS]);
    const byClass = Tensor.empty([R, 2 * classes]);
    run(acqRegionsLaunch(R, classes, tau, grid), { z, bvsb, arg, lse, region_start: starts, region_pixels: pixels, stats, by_class: byClass });
    return [await readF32(stats), await readF32(byClass)];
  });
  const out: ImageRegionStats = {
    classes,
    count: new Float32Array(R),
    meanBvsb: new Float32Array(R),
    majority: new Int32Array(R),
    bvsbByClass: new Float32Array(R * classes),
    probSum: new Float32Array(R * classes),
  };
  for (let r = 0; r < R; r++) {
    out.count[r] = stats[r * REGION_STAT_COLUMNS];
    out.meanBvsb[r] = stats[r * REGION_STAT_COLUMNS + 1];
    out.majority[r] = stats[r * REGION_STAT_COLUMNS + 2];
    out.bvsbByClass.set(byClass.subarray(r * 2 * classes, r * 2 * classes + classes), r * classes);
    out.probSum.set(byClass.subarray(r * 2 * classes + classes, (r + 1) * 2 * classes), r * classes);
  }
  return out;
}

/** KNN's k and BALD's T where none is given (docs/method-readings.md says why). */
export const DEFAULT_KNN_K = 5;
export const DEFAULT_BALD_PASSES = 8;

/** A pool region: which image, which superpixel. */
export interface RegionRef {
  image: number;
  region: number;
}

export interface ScoreOptions {
  /** nu of Eq. 4 (6 for Cityscapes, 12 for VOC). */
  nu: number;
  /** Index of the undefined class, when the dataset has one: regions it dominates score 0. */
  undefinedClass?: number;
  /** For Random. */
  random?: () => number;
  /**
   * Which regions BvSB's min-max normalisation and ClassBal's class shares are taken over: every
   * region of the pool, labelled or not ('pool', the authors' selection script: it scores whole pool
   * images and normalises before any filtering), or the unlabelled candidates only ('candidates').
   * Only ClassBal's ranking depends on it, and only once a large share of the pool is labelled.
   */
  over?: 'pool' | 'candidates';
  /** KNN: the labelled regions its distances are measured to. */
  labelled?: readonly RegionRef[];
  /** KNN: how many nearest labelled regions a candidate's score averages over. */
  k?: number;
}

/** Every region of every image of the pool (those with at least one pixel). */
function poolRegions(stats: readonly ImageRegionStats[]): RegionRef[] {
  const out: RegionRef[] = [];
  stats.forEach((s, image) => {
    for (let region = 0; region < s.count.length; region++) if (s.count[region] > 0) out.push({ image, region });
  });
  return out;
}

/**
 * Scores of the candidate regions (unlabelled ones); `stats[i]` holds image i's statistics. PixBal's
 * class prior (Eq. 3) is the mean softmax over every region of the pool, labelled or not.
 */
export function scoreRegions(kind: Acquisition, stats: readonly ImageRegionStats[], candidates: readonly RegionRef[], o: ScoreOptions): Float64Array {
  const scores = new Float64Array(candidates.length);
  if (kind === 'random') {
    const rnd = o.random ?? Math.random;
    for (let i = 0; i < scores.length; i++) scores[i] = rnd();
    return scores;
  }
  const classes = stats[0]?.classes ?? 0;
  if (kind === 'bvsb' || kind === 'classbal') {
    const basis = (o.over ?? 'pool') === 'pool' ? poolRegions(stats) : candidates;
    let lo = Infinity;
    let hi = -Infinity;
    for (const { image, region } of basis) {
      const v = stats[image].meanBvsb[region];
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const span = hi - lo;
    candidates.forEach(({ image, region }, i) => (scores[i] = span > 0 ? (stats[image].meanBvsb[region] - lo) / span : 0));
    if (kind === 'classbal') {
      const share = new Float64Array(classes);
      for (const { image, region } of basis) share[stats[image].majority[region]] += 1 / basis.length;
      candidates.forEach(({ image, region }, i) => (scores[i] *= Math.exp(-share[stats[image].majority[region]])));
    }
  } else if (kind === 'margin' || kind === 'entropy' || kind === 'bald') {
    candidates.forEach(({ image, region }, i) => {
      const s = stats[image];
      const u = s.uncertainty;
      if (!u) throw new Error(`${kind} acquisition: image ${image} has no region uncertainty statistics (ask imageRegionStats for them)`);
      const raw = kind === 'margin' ? 1 - u.margin[region] : kind === 'entropy' ? u.entropy[region] : u.mutualInfo[region];
      // Below 0 only by f32 rounding (a mutual information, a margin of 1 + ulp): the floor keeps
      // every score >= the 0 that empty and undefined-class regions get, as BvSB's are.
      scores[i] = s.count[region] > 0 ? Math.max(0, raw) : 0;
    });
  } else if (kind === 'knn') {
    const unit = ({ image, region }: RegionRef): Float64Array | null => {
      const s = stats[image];
      if (!s.features) throw new Error(`knn acquisition: image ${image} has no region features (ask imageRegionStats for them)`);
      return s.count[region] > 0 ? unitVector(s.features.values, s.features.channels, region) : null;
    };
    const reference = (o.labelled ?? []).map(unit).filter((v): v is Float64Array => v !== null);
    scores.set(knnScores(candidates.map(unit), reference, o.k ?? DEFAULT_KNN_K));
  } else {
    // Eq. 3: P(y = c) = mean softmax over all pool pixels; Eq. 4 weights w_c = (1 + nu P(c))^-2.
    const prior = new Float64Array(classes);
    let pixels = 0;
    for (const s of stats) {
      for (let r = 0; r < s.count.length; r++) {
        pixels += s.count[r];
        for (let c = 0; c < classes; c++) prior[c] += s.probSum[r * classes + c];
      }
    }
    const w = Array.from(prior, (p) => (1 + (o.nu * p) / Math.max(pixels, 1)) ** -2);
    candidates.forEach(({ image, region }, i) => {
      const s = stats[image];
      let acc = 0;
      for (let c = 0; c < classes; c++) acc += w[c] * s.bvsbByClass[region * classes + c];
      scores[i] = s.count[region] > 0 ? acc / s.count[region] : 0;
    });
  }
  if (o.undefinedClass !== undefined) {
    candidates.forEach(({ image, region }, i) => {
      if (stats[image].majority[region] === o.undefinedClass) scores[i] = 0;
    });
  }
  return scores;
}

/**
 * Takes candidates in descending score until the click budget is exceeded; the region that crosses
 * the budget is kept (as the authors' code does). Equal scores: the later region (larger image,
 * then larger superpixel id) first. `cost` is the click cost of labelling a region.
 */
export function selectByBudget(candidates: readonly RegionRef[], scores: Float64Array, budget: number, cost: (r: RegionRef) => number): { selected: RegionRef[]; clicks: number } {
  const order = candidates.map((_, i) => i);
  order.sort((a, b) => scores[b] - scores[a] || candidates[b].image - candidates[a].image || candidates[b].region - candidates[a].region);
  const selected: RegionRef[] = [];
  let clicks = 0;
  for (const i of order) {
    if (clicks >= budget) break;
    selected.push(candidates[i]);
    clicks += cost(candidates[i]);
  }
  return { selected, clicks };
}
