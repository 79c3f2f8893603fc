// The depthwise column-walk kernel (depthwise-walk.wgsl.ts) against the tap kernel it replaces on
// software adapters for the stride-1 forward and input gradient (depthwise.wgsl.ts): the same
// bits, so training runs are unchanged, and within float32 rounding of the CPU reference
// (kernels/cpu/conv.ts). conv.test.ts runs the same kernels through conv2d under both tile sets;
// these launch them directly, on odd sizes: ragged column tiles (the default 8 and a narrow 3),
// row and column classes of unequal sizes (dilation not dividing the extent), classes with no row
// (dilation beyond the image), one-row and one-column kernels. Neither kernel uses subgroups.
import { describe, expect, it } from 'vitest';
import { read } from '../../src/engine/io.js';
import { run } from '../../src/engine/ops/run.js';
import { Tensor } from '../../src/engine/tensor.js';
import { conv2dGradRef, conv2dRef } from '../../src/kernels/cpu/conv.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { depthwiseLaunch, type DepthwiseGeometry } from '../../src/kernels/depthwise.wgsl.js';
import { WALK_COLUMNS, depthwiseWalkFits, depthwiseWalkLaunch, depthwiseWalkPays } from '../../src/kernels/depthwise-walk.wgsl.js';
import { relError, toGpu, useEngine } from '../helpers.js';

useEngine();

interface Case {
  name: string;
  /** Source [batch, h, w, C]; a forward conv with this kernel, stride, padding and dilation. */
  x: [number, number, number, number];
  k: [number, number];
  p: number;
  d: number;
}

const CASES: Case[] = [
  { name: '3x3 d6, 45 wide, 17 high, C=12', x: [2, 17, 45, 12], k: [3, 3], p: 6, d: 6 },
  { name: '3x3 d1, 33 wide, odd C=5', x: [1, 4, 33, 5], k: [3, 3], p: 1, d: 1 },
  { name: '3x3 d1 p1, batch 3, 19 wide, odd C=3', x: [3, 5, 19, 3], k: [3, 3], p: 1, d: 1 },
  { name: '5x3 d2 p3, 7 wide (narrow tile)', x: [1, 8, 7, 9], k: [5, 3], p: 3, d: 2 },
  { name: '3x3 d12 > input', x: [1, 3, 5, 6], k: [3, 3], p: 12, d: 12 },
  { name: '3x3 d3 p2 (padding below the taps), 10 high', x: [2, 10, 11, 8], k: [3, 3], p: 2, d: 3 },
  { name: '1x3 d2 p2 and a single tap row', x: [1, 6, 13, 4], k: [1, 3], p: 2, d: 2 },
  { name: '3x1 d1 p1, a single tap column', x: [1, 9, 6, 7], k: [3, 1], p: 1, d: 1 },
];

const out = (size: number, k: number, s: number, p: number, d: number) => Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;

/** The tap kernel, then the walk kernel with 8 (the default) and 3 columns, on the same buffers; returns their outputs. */
async function launches(g: DepthwiseGeometry, inputs: Record<string, Tensor>, bias: boolean): Promise<Float32Array[]> {
  const shape = [g.batch, g.dstH, g.dstW, g.channels];
  const ls = [depthwiseLaunch(g, bias), depthwiseWalkLaunch(g, bias), depthwiseWalkLaunch(g, bias, 3)];
  const outs = ls.map(() => Tensor.empty(shape));
  ls.forEach((l, i) => run(l, { ...inputs, out: outs[i] }));
  const r = await Promise.all(outs.map(async (o) => (await read(o)) as Float32Array));
  for (const o of outs) o.dispose();
  return r;
}

const bitIdentical = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('depthwise column-walk kernel', () => {
  for (const [i, c] of CASES.entries()) {
    it(`${c.name}: forward with bias and input gradient, same bits as the tap kernel`, async () => {
      const [n, h, w, ch] = c.x;
      const ho = out(h, c.k[0], 1, c.p, c.d);
      const wo = out(w, c.k[1], 1, c.p, c.d);
      const xNd = randomNd(c.x, 10 * i + 1);
      const wNd = randomNd([c.k[0], c.k[1], 1, ch], 10 * i + 2);
      const bNd = randomNd([ch], 10 * i + 3);
      const x = toGpu(xNd);
      const wt = toGpu(wNd);
      const bias = toGpu(bNd);
      const fwd: DepthwiseGeometry = {
        batch: n, srcH: h, srcW: w, dstH: ho, dstW: wo, kh: c.k[0], kw: c.k[1], channels: ch,
        y: { mul: 1, add: -c.p, tap: c.d, div: 1 },
        x: { mul: 1, add: -c.p, tap: c.d, div: 1 },
      };
      expect(depthwiseWalkFits(fwd)).toBe(true);
      const [taps, walk, walk3] = await launches(fwd, { src: x, wt, bias }, true);
      expect(bitIdentical(walk, taps)).toBe(true);
      expect(bitIdentical(walk3, taps)).toBe(true);
      // Norm-wise relative error against the float64-accumulated CPU reference: float32 rounding
      // of at most 15 products and a bias.
      const ref = conv2dRef(xNd, wNd, bNd, { stride: [1, 1], padding: [c.p, c.p], dilation: [c.d, c.d], groups: ch });
      expect(relError(walk, ref.data)).toBeLessThan(2e-6);
      // Input gradient: gy [n, ho, wo, C] back to x's grid with the flipped taps (the walk runs
      // upwards).
      const gy = toGpu(randomNd([n, ho, wo, ch], 10 * i + 4));
      const bwd: DepthwiseGeometry = {
        batch: n, srcH: ho, srcW: wo, dstH: h, dstW: w, kh: c.k[0], kw: c.k[1], channels: ch,
        y: { mul: 1, add: c.p, tap: -c.d, div: 1 },
        x: { mul: 1, add: c.p, tap: -c.d, div: 1 },
      };
      const [dTaps, dWalk, dWalk3] = await launches(bwd, { src: gy, wt }, false);
      expect(bitIdentical(dWalk, dTaps)).toBe(true);
      expect(bitIdentical(dWalk3, dTaps)).toBe(true);
      const dRef = conv2dGradRef(xNd, wNd, randomNd([n, ho, wo, ch], 10 * i + 4), { stride: [1, 1], padding: [c.p, c.p], dilation: [c.d, c.d], groups: ch }).dx;
      expect(relError(dWalk, dRef.data)).toBeLessThan(2e-6);
      gy.dispose();
      for (const t of [x, wt, bias]) t.dispose();
    });
  }
  it('refuses strided geometries, which stay with the tap kernel', () => {
    const base = { batch: 1, srcH: 3, srcW: 3, dstH: 6, dstW: 6, kh: 3, kw: 3, channels: 4 };
    const strided: DepthwiseGeometry = { ...base, y: { mul: 1, add: 1, tap: -1, div: 2 }, x: { mul: 1, add: 1, tap: -1, div: 2 } };
    expect(depthwiseWalkFits(strided)).toBe(false);
    expect(() => depthwiseWalkLaunch(strided, false)).toThrow(/stride-1/);
    const stride2: DepthwiseGeometry = { ...base, y: { mul: 2, add: -1, tap: 1, div: 1 }, x: { mul: 2, add: -1, tap: 1, div: 1 } };
    expect(depthwiseWalkFits(stride2)).toBe(false);
    expect(depthwiseWalkPays(stride2)).toBe(false);
  });
  it('pays where an invocation gets enough outputs: not at a dilation near the image size', () => {
    const at = (size: number, d: number): DepthwiseGeometry => ({
      batch: 2, srcH: size, srcW: size, dstH: size, dstW: size, kh: 3, kw: 3, channels: 2048,
      y: { mul: 1, add: -d, tap: d, div: 1 }, x: { mul: 1, add: -d, tap: d, div: 1 },
    });
    expect(WALK_COLUMNS).toBe(8);
    // 16x16 at dilation 6: row classes of 3 rows, tiles of 3 columns (9 outputs); 12 and 18: 4 and 1.
    expect(depthwiseWalkPays(at(16, 6))).toBe(true);
    expect(depthwiseWalkPays(at(16, 12))).toBe(false);
    expect(depthwiseWalkPays(at(16, 18))).toBe(false);
    expect(depthwiseWalkPays(at(64, 1))).toBe(true);
  });
});
