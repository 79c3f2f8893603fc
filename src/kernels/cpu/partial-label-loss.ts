// CPU reference of the partial-label baselines (kernels/partial-label-loss.wgsl.ts) and their
// gradient, in float64, written as directly as the definitions read.
import type { PartialLabelLoss } from '../partial-label-loss.wgsl.js';
import type { RegionBatch } from '../region-loss.wgsl.js';
import { logMasked, negLog, softmaxRow } from './region-loss.js';

export interface PartialLabelLossRef {
  total: number;
  /** Single-class regions' cross-entropy. */
  ce: number;
  /** Multi-class regions' baseline term. */
  partial: number;
}

/** The classes of a label set, in ascending order. */
function members(mask: number, classes: number): number[] {
  const S: number[] = [];
  for (let c = 0; c < classes; c++) if (mask & (1 << c)) S.push(c);
  return S;
}

/** log p_c of a row, for every class: z_c / tau minus the row's log-sum-exp. */
function logProbs(z: ArrayLike<number>, row: number, classes: number, tau: number): Float64Array {
  let m = -Infinity;
  for (let c = 0; c < classes; c++) m = Math.max(m, z[row + c] / tau);
  let t = 0;
  for (let c = 0; c < classes; c++) t += Math.exp(z[row + c] / tau - m);
  const lp = new Float64Array(classes);
  for (let c = 0; c < classes; c++) lp[c] = z[row + c] / tau - (m + Math.log(t));
  return lp;
}

/**
 * The pixel's weight on each class of S, as [class, weight] pairs: infimum puts 1 on the first most
 * probable candidate, RC p_c / sum_S p (from logits `at`, so that the gradient can hold them
 * fixed), a single class 1.
 */
function classWeights(at: ArrayLike<number>, row: number, classes: number, tau: number, mask: number, loss: PartialLabelLoss): [number, number][] {
  const S = members(mask, classes);
  const lp = logProbs(at, row, classes, tau);
  if (S.length === 1 || loss === 'infimum') {
    let best = S[0];
    for (const c of S) if (lp[c] > lp[best]) best = c;
    return [[best, 1]];
  }
  const logS = logMasked(at, row, classes, tau, mask);
  return S.map((c) => [c, Math.exp(lp[c] - logS)]);
}

/**
 * The baseline's loss: per pixel sum_c w_c (-log(p_c + eps)) over the weights above, times the
 * region's weight. `weightsAt` (default z) gives the logits RC's weights are estimated from: the
 * loss as a function of z with its weights held fixed is what the gradient differentiates.
 */
export function partialLabelLossRef(z: ArrayLike<number>, b: RegionBatch, loss: PartialLabelLoss, tau: number, eps: number, weightsAt: ArrayLike<number> = z): PartialLabelLossRef {
  const C = b.classes;
  let ce = 0;
  let partial = 0;
  for (let i = 0; i < b.npix; i++) {
    const r = b.regionOf[i];
    if (r < 0) continue;
    const mask = b.labelMask[r];
    const lp = logProbs(z, i * C, C, tau);
    let term = 0;
    for (const [c, w] of classWeights(weightsAt, i * C, C, tau, mask, loss)) term += w * negLog(lp[c], eps);
    if ((mask & (mask - 1)) === 0) ce += term * b.pixelWeight[r];
    else partial += term * b.pixelWeight[r];
  }
  return { total: ce + partial, ce, partial };
}

/** d total / d z with the weights held fixed: per pixel -(w_r / tau) sum_c w_c k_c ([j = c] - p_j), k_c = p_c / (p_c + eps). */
export function partialLabelLossGradRef(z: ArrayLike<number>, b: RegionBatch, loss: PartialLabelLoss, tau: number, eps: number): Float64Array {
  const C = b.classes;
  const dz = new Float64Array(b.npix * C);
  for (let i = 0; i < b.npix; i++) {
    const r = b.regionOf[i];
    if (r < 0) continue;
    const p = softmaxRow(z, i * C, C, tau);
    for (const [c, w] of classWeights(z, i * C, C, tau, b.labelMask[r], loss)) {
      const k = eps === 0 ? 1 : p[c] / (p[c] + eps);
      for (let j = 0; j < C; j++) dz[i * C + j] += (-b.pixelWeight[r] / tau) * w * k * ((j === c ? 1 : 0) - p[j]);
    }
  }
  return dz;
}
