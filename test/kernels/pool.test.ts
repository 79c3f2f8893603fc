// Max pool and global average pool (kernels/pool.wgsl.ts) against kernels/cpu/pool.ts.
import { describe, it } from 'vitest';
import { globalAvgPool, maxPool2d } from '../../src/engine/ops/pool.js';
import { globalAvgPoolGradRef, globalAvgPoolRef, maxPoolGradRef, maxPoolRef, type PoolRefParams } from '../../src/kernels/cpu/pool.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { finiteDifferenceCheck, gpuVsReference, useEngine } from '../helpers.js';

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
