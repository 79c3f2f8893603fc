// CPU reference of the fused stage-1 losses (kernels/region-loss.wgsl.ts) and their gradient, in
// float64, written as directly as the equations read.
import type { RegionBatch } from '../region-loss.wgsl.js';

export interface RegionLossRef {
  total: number;
  ce: number;
  mp: number;
  pp: number;
  /** Prototypical pixel of each pair (Eq. 8). */
  pairArg: Int32Array;
}

export function softmaxRow(z: ArrayLike<number>, row: number, classes: number, tau: number): number[] {
  let m = -Infinity;
  for (let c = 0; c < classes; c++) m = Math.max(m, z[row + c] / tau);
  const e = Array.from({ length: classes }, (_, c) => Math.exp(z[row + c] / tau - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** log sum_{c in mask} exp(z_c / tau) - log sum_c exp(z_c / tau): log s(x), exact where s underflows. */
export function logMasked(z: ArrayLike<number>, row: number, classes: number, tau: number, mask: number): number {
  const lse = (keep: (c: number) => boolean) => {
    let m = -Infinity;
    for (let c = 0; c < classes; c++) if (keep(c)) m = Math.max(m, z[row + c] / tau);
    let t = 0;
    for (let c = 0; c < classes; c++) if (keep(c)) t += Math.exp(z[row + c] / tau - m);
    return m + Math.log(t);
  };
  return lse((c) => (mask & (1 << c)) !== 0) - lse(() => true);
}

/** -log(s + eps) from log s; with eps = 0, -log s itself (never -log of an underflowed 0). */
export function negLog(logS: number, eps: number): number {
  return eps === 0 ? -logS : -Math.log(Math.exp(logS) + eps);
}

export function regionLossRef(z: ArrayLike<number>, b: RegionBatch, tau: number, eps: number): RegionLossRef {
  const C = b.classes;
  let ce = 0;
  let mp = 0;
  for (let i = 0; i < b.npix; i++) {
    const r = b.regionOf[i];
    if (r < 0) continue;
    const term = negLog(logMasked(z, i * C, C, tau, b.labelMask[r]), eps) * b.pixelWeight[r];
    if ((b.labelMask[r] & (b.labelMask[r] - 1)) === 0) ce += term;
    else mp += term;
  }
  let pp = 0;
  const pairArg = new Int32Array(b.pairRegion.length);
  for (let j = 0; j < b.pairRegion.length; j++) {
    const r = b.pairRegion[j];
    const c = b.pairClass[j];
    let best = -Infinity;
    for (let q = b.regionStart[r]; q < b.regionStart[r + 1]; q++) {
      const x = b.regionPixels[q];
      const logP = logMasked(z, x * C, C, tau, 1 << c);
      if (logP > best) {
        best = logP;
        pairArg[j] = x;
      }
    }
    pp += negLog(best, eps) * b.pairWeight[j];
  }
  return { total: ce + mp + pp, ce, mp, pp, pairArg };
}

/** d total / d z, by the chain rule through each term (max taken at the prototypical pixel). */
export function regionLossGradRef(z: ArrayLike<number>, b: RegionBatch, tau: number, eps: number): Float64Array {
  const C = b.classes;
  const dz = new Float64Array(b.npix * C);
  const { pairArg } = regionLossRef(z, b, tau, eps);
  for (let i = 0; i < b.npix; i++) {
    const r = b.regionOf[i];
    if (r < 0) continue;
    const p = softmaxRow(z, i * C, C, tau);
    const inY = (c: number) => (b.labelMask[r] & (1 << c) ? 1 : 0);
    // -(1/tau) (s / (s + eps)) ([j in Y] p_j / s - p_j), with p_j / s = exp(z_j / tau - log sum_Y).
    const logS = logMasked(z, i * C, C, tau, b.labelMask[r]);
    const s = Math.exp(logS);
    const k = eps === 0 ? 1 : s / (s + eps);
    for (let j = 0; j < C; j++) {
      const q = inY(j) ? Math.exp(logMasked(z, i * C, C, tau, 1 << j) - logS) : 0;
      dz[i * C + j] += (-b.pixelWeight[r] * k / tau) * (q - p[j]);
    }
  }
  for (let k = 0; k < pairArg.length; k++) {
    const x = pairArg[k];
    const c = b.pairClass[k];
    const p = softmaxRow(z, x * C, C, tau);
    const damp = eps === 0 ? 1 : p[c] / (p[c] + eps);
    for (let j = 0; j < C; j++) dz[x * C + j] += (-b.pairWeight[k] * damp / tau) * ((j === c ? 1 : 0) - p[j]);
  }
  return dz;
}
