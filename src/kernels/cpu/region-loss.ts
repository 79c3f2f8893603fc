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

function softmaxRow(z: ArrayLike<number>, row: number, classes: number, tau: number): number[] {
  let m = -Infinity;
  for (let c = 0; c < classes; c++) m = Math.max(m, z[row + c] / tau);
  const e = Array.from({ length: classes }, (_, c) => Math.exp(z[row + c] / tau - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

export function regionLossRef(z: ArrayLike<number>, b: RegionBatch, tau: number, eps: number): RegionLossRef {
  const C = b.classes;
  let ce = 0;
  let mp = 0;
  for (let i = 0; i < b.npix; i++) {
    const r = b.regionOf[i];
    if (r < 0) continue;
    const p = softmaxRow(z, i * C, C, tau);
    let s = 0;
    for (let c = 0; c < C; c++) if (b.labelMask[r] & (1 << c)) s += p[c];
    const term = -Math.log(s + eps) * b.pixelWeight[r];
    if ((b.labelMask[r] & (b.labelMask[r] - 1)) === 0) ce += term;
    else mp += term;
  }
  let pp = 0;
  const pairArg = new Int32Array(b.pairRegion.length);
  for (let j = 0; j < b.pairRegion.length; j++) {
    const r = b.pairRegion[j];
    const c = b.pairClass[j];
    let best = -1;
    for (let q = b.regionStart[r]; q < b.regionStart[r + 1]; q++) {
      const x = b.regionPixels[q];
      const pc = softmaxRow(z, x * C, C, tau)[c];
      if (pc > best) {
        best = pc;
        pairArg[j] = x;
      }
    }
    pp += -Math.log(best + eps) * b.pairWeight[j];
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
    const s = p.reduce((acc, v, c) => acc + v * inY(c), 0);
    for (let j = 0; j < C; j++) dz[i * C + j] += (-b.pixelWeight[r] / (s + eps)) * (p[j] / tau) * (inY(j) - s);
  }
  for (let k = 0; k < pairArg.length; k++) {
    const x = pairArg[k];
    const c = b.pairClass[k];
    const p = softmaxRow(z, x * C, C, tau);
    for (let j = 0; j < C; j++) dz[x * C + j] += (-b.pairWeight[k] / (p[c] + eps)) * (p[c] / tau) * ((j === c ? 1 : 0) - p[j]);
  }
  return dz;
}
