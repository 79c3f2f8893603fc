// Max pool and global average pool (kernels/pool.wgsl.ts) against kernels/cpu/pool.ts.
import { describe, expect, it } from 'vitest';
import { read } from '../../src/engine/io.js';
import { run } from '../../src/engine/ops/run.js';
import { Tensor } from '../../src/engine/tensor.js';
import { maxPoolBackwardLaunch, maxPoolBackwardPixelsLaunch, maxPoolLaunch, maxPoolPixelsLaunch, type PoolGeometry } from '../../src/kernels/pool.wgsl.js';
import { globalAvgPool, maxPool2d } from '../../src/engine/ops/pool.js';
import { globalAvgPoolGradRef, globalAvgPoolRef, maxPoolGradRef, maxPoolRef, type PoolRefParams } from '../../src/kernels/cpu/pool.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { finiteDifferenceCheck, gpuVsReference, toGpu, useEngine } from '../helpers.js';

useEngine();

const CASES: { shape: number[]; p: PoolRefParams }[] = [
  { shape: [3, 7, 8, 5], p: { k: [3, 3], stride: [2, 2], padding: [1, 1] } },
  { shape: [1, 1, 1, 3], p: { k: [3, 3], stride: [2, 2], padding: [1, 1] } },
  { shape: [2, 6, 5, 4], p: { k: [2, 3], stride: [2, 1], padding: [0, 1] } },
];

describe('max pool', () => {
  it('finite differences on the reference (distinct values, so the argmax is stable)', () => {
    const p = CASES[0].p;
    finiteDifferenceCheck(([x]) => maxPoolRef(x, p).y, ([x], g) => [maxPoolGradRef(x, p, g)], [randomNd([1, 5, 4, 2], 3)]);
  });
  for (const [i, c] of CASES.entries()) {
    it(`[${c.shape}] k ${c.p.k} s ${c.p.stride} p ${c.p.padding}: GPU vs reference, backward to the argmax`, async () => {
      await gpuVsReference(
        ([x]) => maxPool2d(x, { kernel: c.p.k, stride: c.p.stride, padding: c.p.padding }),
        ([x]) => maxPoolRef(x, c.p).y,
        ([x], g) => [maxPoolGradRef(x, c.p, g)],
        [randomNd(c.shape, 20 + i)],
        { forward: 1e-7, backward: 1e-6 },
      );
    });
  }
});

describe('max pool, per-element and per-pixel kernels', () => {
  // The engine takes the per-pixel form on a software adapter and the per-element one elsewhere:
  // both must give the same outputs, argmaxes and gradients, bit for bit, whichever this adapter is.
  const shapes: [number[], PoolRefParams][] = [...CASES.map((c) => [c.shape, c.p] as [number[], PoolRefParams]), [[2, 9, 11, 8], { k: [3, 3], stride: [2, 2], padding: [1, 1] }]];
  for (const [i, [shape, p]] of shapes.entries()) {
    it(`[${shape}] k ${p.k} s ${p.stride} p ${p.padding}: the same bits`, async () => {
      const [n, h, w, c] = shape;
      const ho = Math.floor((h + 2 * p.padding[0] - p.k[0]) / p.stride[0]) + 1;
      const wo = Math.floor((w + 2 * p.padding[1] - p.k[1]) / p.stride[1]) + 1;
      const g: PoolGeometry = { n, h, w, c, ho, wo, k: p.k, stride: p.stride, padding: p.padding };
      // Repeated values make ties, where the first maximum in scan order must win in both forms.
      const xs = randomNd(shape, 40 + i);
      xs.data.forEach((v, k) => (xs.data[k] = Math.round(v * 2) / 2));
      const x = toGpu(xs);
      const gy = toGpu(randomNd([n, ho, wo, c], 50 + i));
      const res: Float32Array[][] = [];
      for (const [fwd, bwd] of [[maxPoolLaunch, maxPoolBackwardLaunch], [maxPoolPixelsLaunch, maxPoolBackwardPixelsLaunch]] as const) {
        const out = Tensor.empty([n, ho, wo, c]);
        const arg = Tensor.empty([n, ho, wo, c], 'i32');
        const dx = Tensor.empty(shape);
        run(fwd(g), { x, out, arg });
        run(bwd(g), { gy, arg, dx });
        res.push((await Promise.all([out, arg, dx].map((t) => read(t)))).map((a) => new Float32Array(a.buffer)));
        for (const t of [out, arg, dx]) t.dispose();
      }
      for (let k = 0; k < 3; k++) expect(res[1][k].every((v, j) => Object.is(v, res[0][k][j])), ['out', 'arg', 'dx'][k]).toBe(true);
      x.dispose();
      gy.dispose();
    });
  }
});

describe('global average pool', () => {
  it('finite differences on the reference', () => {
    finiteDifferenceCheck(([x]) => globalAvgPoolRef(x), ([x], g) => [globalAvgPoolGradRef(x, g)], [randomNd([2, 3, 2, 3], 1)]);
  });
  for (const shape of [
    [3, 5, 7, 6],
    [1, 1, 1, 4],
  ]) {
    it(`[${shape}]: GPU vs reference`, async () => {
      await gpuVsReference(([x]) => globalAvgPool(x), ([x]) => globalAvgPoolRef(x), ([x], g) => [globalAvgPoolGradRef(x, g)], [randomNd(shape, 2)], {
        forward: 1e-6,
      });
    });
  }
});
