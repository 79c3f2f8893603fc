// Reductions (kernels/reduce.wgsl.ts) and softmax (kernels/softmax.wgsl.ts) against their references.
import { describe, expect, it } from 'vitest';
import { argmax, max, mean, min, sum } from '../../src/engine/ops/reduce.js';
import { logSoftmax, softmax } from '../../src/engine/ops/softmax.js';
import { permute } from '../../src/engine/ops/shape.js';
import { reduceGradRef, reduceRef } from '../../src/kernels/cpu/reduce.js';
import { softmaxGradRef, softmaxRef } from '../../src/kernels/cpu/softmax.js';
import { permuteRef, randomNd } from '../../src/kernels/cpu/nd.js';
import { expectClose, finiteDifferenceCheck, gpuVsReference, toGpu, toNd, useEngine } from '../helpers.js';
import { read } from '../../src/engine/io.js';

useEngine();

const SHAPE = [3, 5, 7, 2];
const AXES: number[][] = [[0], [1], [3], [1, 2], [0, 2], [0, 1, 2, 3], [0, 3]];

describe('sum / mean / max / min over any axes', () => {
  for (const op of ['sum', 'mean', 'max', 'min'] as const) {
    const fn = { sum, mean, max, min }[op];
    for (const axes of AXES) {
      it(`${op} over [${axes}]: finite differences on the reference`, () => {
        finiteDifferenceCheck(([x]) => reduceRef(op, x, axes), ([x], g) => [reduceGradRef(op, x, axes, g)], [randomNd(SHAPE, 3)]);
      });
      it(`${op} over [${axes}]: GPU vs reference (rel. error <= 1e-5)`, async () => {
        await gpuVsReference(([x]) => fn(x, axes), ([x]) => reduceRef(op, x, axes), ([x], g) => [reduceGradRef(op, x, axes, g)], [randomNd(SHAPE, 4)], {
          forward: 1e-5,
        });
      });
    }
  }

  it('keepDims keeps reduced axes as size 1', async () => {
    const x = toGpu(randomNd(SHAPE, 1));
    const y = sum(x, [1, 3], true);
    expect(y.shape).toEqual([3, 1, 7, 1]);
    expectClose(await read(y), reduceRef('sum', randomNd(SHAPE, 1), [1, 3]).data, 1e-5);
  });

  it('two-pass reduction of a long axis (few outputs, K > 1024) matches', async () => {
    const x = randomNd([2, 50_001], 8);
    const y = toGpu(x);
    expectClose(await toNd(sum(y, 1)), reduceRef('sum', x, [1]), 1e-5);
    expectClose(await toNd(max(y, 1)), reduceRef('max', x, [1]), 1e-7); // float32 rounding of the input only
  });

  it('reduces a permuted (strided) view', async () => {
    const x = randomNd([4, 6, 5], 9);
    const y = permute(toGpu(x), [2, 0, 1]);
    expectClose(await toNd(sum(y, [0, 2])), reduceRef('sum', permuteRef(x, [2, 0, 1]), [0, 2]), 1e-5);
  });

  it('max shares the gradient between ties, like PyTorch amax', async () => {
    const x = toGpu(randomNd([1, 4], 0));
    const xt = toGpu({ data: Float64Array.from([1, 3, 3, 2]), shape: [1, 4] }, true);
    const { backward } = await import('../../src/engine/backward.js');
    backward(max(xt, 1));
    expect(Array.from(await read(xt.grad!))).toEqual([0, 0.5, 0.5, 0]);
    x.dispose();
  });
});

describe('argmax', () => {
  for (const axis of [0, 1, 3]) {
    it(`along axis ${axis} matches the reference (first maximum wins)`, async () => {
      const x = randomNd(SHAPE, 11 + axis);
      const got = await read(argmax(toGpu(x), axis));
      expect(got).toBeInstanceOf(Int32Array);
      expect(Array.from(got)).toEqual(Array.from(reduceRef('argmax', x, [axis]).data));
    });
  }
});

describe('softmax and log-softmax', () => {
  for (const log of [false, true]) {
    for (const axis of [0, 1, 3]) {
      const name = log ? 'logSoftmax' : 'softmax';
      const fn = log ? logSoftmax : softmax;
      it(`${name} axis ${axis}: finite differences on the reference`, () => {
        finiteDifferenceCheck(([x]) => softmaxRef(x, axis, log), ([x], g) => [softmaxGradRef(x, axis, g, log)], [randomNd(SHAPE, 21, -3, 3)]);
      });
      it(`${name} axis ${axis}: GPU vs reference (rel. error <= 1e-5)`, async () => {
        await gpuVsReference(([x]) => fn(x, axis), ([x]) => softmaxRef(x, axis, log), ([x], g) => [softmaxGradRef(x, axis, g, log)], [randomNd(SHAPE, 22, -3, 3)], {
          forward: 1e-5,
        });
      });
    }
  }
  it('is stable for large logits', async () => {
    const x = { data: Float64Array.from([1000, 1001, 999]), shape: [1, 3] };
    const y = await read(softmax(toGpu(x), 1));
    expectClose(y, softmaxRef(x, 1).data, 1e-6);
  });
});
