// Max pool and global average pool (kernels/pool.wgsl.ts) against kernels/cpu/pool.ts, on distinct
// values and on tied ones (ReLU before max pool, as in the ResNet stem, makes ties common: the
// first maximum in scan order must win, forward and backward).
import { describe, expect, it } from 'vitest';
import { read } from '../../src/engine/io.js';
import { run } from '../../src/engine/ops/run.js';
import { Tensor } from '../../src/engine/tensor.js';
import { maxPoolBackwardLaunch, maxPoolBackwardPixelsLaunch, maxPoolLaunch, maxPoolPixelsLaunch, type PoolGeometry } from '../../src/kernels/pool.wgsl.js';
import { globalAvgPool, maxPool2d } from '../../src/engine/ops/pool.js';
import { globalAvgPoolGradRef, globalAvgPoolRef, maxPoolGradRef, maxPoolRef, type PoolRefParams } from '../../src/kernels/cpu/pool.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { expectClose, finiteDifferenceCheck, gpuVsReference, toGpu, useEngine } from '../helpers.js';

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
    for (const tied of [false, true]) {
      it(`[${c.shape}] k ${c.p.k} s ${c.p.stride} p ${c.p.padding}: GPU vs reference, backward to the argmax${tied ? ' (ReLU-tied inputs)' : ''}`, async () => {
        await gpuVsReference(
          ([x]) => maxPool2d(x, { kernel: c.p.k, stride: c.p.stride, padding: c.p.padding }),
          ([x]) => maxPoolRef(x, c.p).y,
          ([x], g) => [maxPoolGradRef(x, c.p, g)],
          [tied ? reluTied(c.shape, 60 + i) : randomNd(c.shape, 20 + i)],
          { forward: 1e-7, backward: 1e-6 },
        );
      });
    }
  }
});

/**
 * ReLU of values rounded to halves: about half the inputs are 0 and the rest repeat, so most
 * windows hold a tie for their maximum (checked: a test on them must see ties to mean anything).
 */
function reluTied(shape: number[], seed: number) {
  const x = randomNd(shape, seed);
  x.data.forEach((v, k) => (x.data[k] = Math.max(0, Math.round(v * 2) / 2)));
  return x;
}

/** How many outputs of max pool have their maximum more than once in their window. */
function tiedWindows(x: ReturnType<typeof randomNd>, p: PoolRefParams): number {
  const [n, h, w, c] = x.shape;
  const { y } = maxPoolRef(x, p);
  const [, ho, wo] = y.shape;
  let tied = 0;
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++)
        for (let ch = 0; ch < c; ch++) {
          let hits = 0;
          for (let i = 0; i < p.k[0]; i++)
            for (let j = 0; j < p.k[1]; j++) {
              const iy = oy * p.stride[0] - p.padding[0] + i;
              const ix = ox * p.stride[1] - p.padding[1] + j;
              if (iy >= 0 && iy < h && ix >= 0 && ix < w && x.data[((b * h + iy) * w + ix) * c + ch] === y.data[((b * ho + oy) * wo + ox) * c + ch]) hits++;
            }
          if (hits > 1) tied++;
        }
  return tied;
}

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
      // Ties, where the first maximum in scan order must win in both forms, as in the reference.
      const xs = reluTied(shape, 40 + i);
      const gys = randomNd([n, ho, wo, c], 50 + i);
      if (n * ho * wo * c > 8) expect(tiedWindows(xs, p)).toBeGreaterThan((n * ho * wo * c) / 4);
      const x = toGpu(xs);
      const gy = toGpu(gys);
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
      // Each form against the float64 reference: values, the argmax (the kernels store y * W + x
      // inside the image, the reference the flat index of (n, y, x, c)) and the gradient.
      const ref = maxPoolRef(xs, p);
      const refPixel = Array.from(ref.arg, (a) => Math.floor(a / c) % (h * w));
      const refDx = maxPoolGradRef(xs, p, gys);
      for (const [form, [out, arg, dx]] of res.entries()) {
        const what = form ? 'per-pixel' : 'per-element';
        expectClose(out, ref.y.data, 0, `${what} out`);
        expect(Array.from(new Int32Array(arg.buffer)), `${what} arg`).toEqual(refPixel);
        expectClose(dx, refDx.data, 1e-6, `${what} dx`);
      }
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
