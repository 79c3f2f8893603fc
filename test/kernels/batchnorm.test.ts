// Batch norm (kernels/batchnorm.wgsl.ts via engine/ops/batchnorm.ts) against kernels/cpu/batchnorm.ts.
import { describe, it } from 'vitest';
import { batchNorm } from '../../src/engine/ops/batchnorm.js';
import { batchNormGradRef, batchNormRef } from '../../src/kernels/cpu/batchnorm.js';
import { randomNd, type Nd } from '../../src/kernels/cpu/nd.js';
import { expectClose, finiteDifferenceCheck, gpuVsReference, toGpu, toNd, useEngine } from '../helpers.js';

useEngine();

const SHAPES: number[][] = [
  [3, 5, 7, 6], // odd spatial, C % 4 != 0
  [1, 2, 3, 8], // small M, vec4 channels
  [2, 9, 9, 3],
];

function inputs(shape: number[], seed: number): { x: Nd; gamma: Nd; beta: Nd; rm: Nd; rv: Nd } {
  const c = shape[3];
  const x = randomNd(shape, seed, -2, 4); // a non-zero mean exercises the shifted sums
  return { x, gamma: randomNd([c], seed + 1, 0.5, 1.5), beta: randomNd([c], seed + 2), rm: randomNd([c], seed + 3), rv: randomNd([c], seed + 4, 0.5, 2) };
}

describe('batch norm', () => {
  for (const training of [true, false]) {
    it(`${training ? 'training' : 'eval'}: finite differences on the reference`, () => {
      const { x, gamma, beta, rm, rv } = inputs([2, 3, 2, 3], 1);
      finiteDifferenceCheck(
        ([a, g, b]) => batchNormRef(a, g, b, rm, rv, training).y,
        ([a, g], gy) => batchNormGradRef(a, g, gy, training, rm, rv),
        [x, gamma, beta],
        { bound: 1e-5 },
      );
    });
    for (const [i, shape] of SHAPES.entries()) {
      it(`${training ? 'training' : 'eval'} [${shape}]: GPU forward, backward and running stats vs reference`, async () => {
        const { x, gamma, beta, rm, rv } = inputs(shape, 10 * i);
        const trm = toGpu(rm);
        const trv = toGpu(rv);
        await gpuVsReference(
          ([a, g, b]) => batchNorm(a, g, b, trm, trv, { training }),
          ([a, g, b]) => batchNormRef(a, g, b, rm, rv, training).y,
          ([a, g], gy) => batchNormGradRef(a, g, gy, training, rm, rv),
          [x, gamma, beta],
          { forward: 1e-5, backward: 1e-4 },
        );
        const ref = batchNormRef(x, gamma, beta, rm, rv, training);
        expectClose(await toNd(trm), ref.runningMean, 1e-6, 'running mean');
        expectClose(await toNd(trv), ref.runningVar, 1e-6, 'running var');
        trm.dispose();
        trv.dispose();
      });
    }
  }
});
