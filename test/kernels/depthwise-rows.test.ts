// The depthwise row kernel (depthwise-rows.wgsl.ts) against the tap kernel it replaces for the
// forward and stride-1 input gradient (depthwise.wgsl.ts): the same bits, so training runs are
// unchanged, and within float32 rounding of the CPU reference (kernels/cpu/conv.ts). conv.test.ts
// runs the same kernels through conv2d in every kernel variant; these launch them directly, on
// odd sizes with ragged 32-pixel tiles, and need no subgroups (neither kernel uses them).
import { describe, expect, it } from 'vitest';
import { read } from '../../src/engine/io.js';
import { run } from '../../src/engine/ops/run.js';
import { Tensor } from '../../src/engine/tensor.js';
import { conv2dRef } from '../../src/kernels/cpu/conv.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { depthwiseLaunch, type DepthwiseGeometry } from '../../src/kernels/depthwise.wgsl.js';
import { depthwiseRowsFits, depthwiseRowsLaunch } from '../../src/kernels/depthwise-rows.wgsl.js';
import { relError, toGpu, useEngine } from '../helpers.js';

useEngine();

interface Case {
  name: string;
  /** Source [batch, h, w, C]; a forward conv with this kernel, stride, padding and dilation. */
  x: [number, number, number, number];
  k: [number, number];
  s: number;
  p: number;
  d: number;
}

const CASES: Case[] = [
  { name: '3x3 d6, 45 wide, vec4 C=12', x: [2, 9, 45, 12], k: [3, 3], s: 1, p: 6, d: 6 },
  { name: '3x3 d1, 33 wide, odd C=5', x: [1, 4, 33, 5], k: [3, 3], s: 1, p: 1, d: 1 },
  { name: '3x3 s2 p1, 39 wide, odd C=3', x: [3, 5, 39, 3], k: [3, 3], s: 2, p: 1, d: 1 },
  { name: '5x3 d2 p3, 7 wide (narrow tile)', x: [1, 8, 7, 9], k: [5, 3], s: 1, p: 3, d: 2 },
  { name: '3x3 d12 > input', x: [1, 3, 5, 6], k: [3, 3], s: 1, p: 12, d: 12 },
];

const out = (size: number, k: number, s: number, p: number, d: number) => Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;

/** Both launches on the same buffers; returns their outputs. */
async function both(g: DepthwiseGeometry, inputs: Record<string, Tensor>, bias: boolean): Promise<[Float32Array, Float32Array]> {
  const shape = [g.batch, g.dstH, g.dstW, g.channels];
  const a = Tensor.empty(shape);
  const b = Tensor.empty(shape);
  run(depthwiseLaunch(g, bias), { ...inputs, out: a });
  run(depthwiseRowsLaunch(g, bias), { ...inputs, out: b });
  const r = [(await read(a)) as Float32Array, (await read(b)) as Float32Array] as [Float32Array, Float32Array];
  a.dispose();
  b.dispose();
  return r;
}

const bitIdentical = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('depthwise row kernel', () => {
  for (const [i, c] of CASES.entries()) {
    it(`${c.name}: forward with bias and input gradient, same bits as the tap kernel`, async () => {
      const [n, h, w, ch] = c.x;
      const ho = out(h, c.k[0], c.s, c.p, c.d);
      const wo = out(w, c.k[1], c.s, c.p, c.d);
      const xNd = randomNd(c.x, 10 * i + 1);
      const wNd = randomNd([c.k[0], c.k[1], 1, ch], 10 * i + 2);
      const bNd = randomNd([ch], 10 * i + 3);
      const x = toGpu(xNd);
      const wt = toGpu(wNd);
      const bias = toGpu(bNd);
      const fwd: DepthwiseGeometry = {
        batch: n, srcH: h, srcW: w, dstH: ho, dstW: wo, kh: c.k[0], kw: c.k[1], channels: ch,
        y: { mul: c.s, add: -c.p, tap: c.d, div: 1 },
        x: { mul: c.s, add: -c.p, tap: c.d, div: 1 },
      };
      expect(depthwiseRowsFits(fwd)).toBe(true);
      const [taps, rows] = await both(fwd, { src: x, wt, bias }, true);
      expect(bitIdentical(rows, taps)).toBe(true);
      // Norm-wise relative error against the float64-accumulated CPU reference: float32 rounding
      // of at most 15 products and a bias.
      const ref = conv2dRef(xNd, wNd, bNd, { stride: [c.s, c.s], padding: [c.p, c.p], dilation: [c.d, c.d], groups: ch });
      expect(relError(rows, ref.data)).toBeLessThan(2e-6);
      if (c.s === 1) {
        // Input gradient: gy [n, ho, wo, C] back to x's grid with the flipped taps.
        const gy = toGpu(randomNd([n, ho, wo, ch], 10 * i + 4));
        const bwd: DepthwiseGeometry = {
          batch: n, srcH: ho, srcW: wo, dstH: h, dstW: w, kh: c.k[0], kw: c.k[1], channels: ch,
          y: { mul: 1, add: c.p, tap: -c.d, div: 1 },
          x: { mul: 1, add: c.p, tap: -c.d, div: 1 },
        };
        const [dTaps, dRows] = await both(bwd, { src: gy, wt }, false);
        expect(bitIdentical(dRows, dTaps)).toBe(true);
        gy.dispose();
      }
      for (const t of [x, wt, bias]) t.dispose();
    });
  }
  it('refuses a strided input gradient (divisor 2), which stays with the tap kernel', () => {
    const g: DepthwiseGeometry = {
      batch: 1, srcH: 3, srcW: 3, dstH: 6, dstW: 6, kh: 3, kw: 3, channels: 4,
      y: { mul: 1, add: 1, tap: -1, div: 2 },
      x: { mul: 1, add: 1, tap: -1, div: 2 },
    };
    expect(depthwiseRowsFits(g)).toBe(false);
    expect(() => depthwiseRowsLaunch(g, false)).toThrow(/unit divisors/);
  });
});
