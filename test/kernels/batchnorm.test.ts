// Batch norm (kernels/batchnorm.wgsl.ts via engine/ops/batchnorm.ts) against kernels/cpu/batchnorm.ts.
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/engine/autograd.js';
import { batchNorm } from '../../src/engine/ops/batchnorm.js';
import { relu } from '../../src/engine/ops/elementwise.js';
import { engine } from '../../src/engine/runtime.js';
import { BatchNorm2d, ReLU } from '../../src/model/layers.js';
import { Sequential } from '../../src/model/module.js';
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
  for (const [i, shape] of SHAPES.entries()) {
    it(`eval with the fused ReLU [${shape}] (scalar and vec4 channels): max(BN, 0) of the reference`, async () => {
      const { x, gamma, beta, rm, rv } = inputs(shape, 40 + i);
      const ts = [x, gamma, beta, rm, rv].map((t) => toGpu(t));
      const y = noGrad(() => batchNorm(ts[0], ts[1], ts[2], ts[3], ts[4], { training: false, relu: true }));
      const ref = batchNormRef(x, gamma, beta, rm, rv, false).y;
      const expected = { shape: ref.shape, data: ref.data.map((v) => Math.max(v, 0)) };
      expect(expected.data.some((v) => v === 0) && expected.data.some((v) => v > 0)).toBe(true);
      expectClose(await toNd(y), expected, 1e-5, 'bn + relu');
      for (const t of [...ts, y]) t.dispose();
    });
  }
  it('the fused ReLU is refused while a tape records gradients', () => {
    const { x, gamma, beta, rm, rv } = inputs([1, 2, 2, 4], 7);
    const [tx, tg, tb, trm, trv] = [toGpu(x, true), toGpu(gamma), toGpu(beta), toGpu(rm), toGpu(rv)];
    expect(() => batchNorm(tx, tg, tb, trm, trv, { training: false, relu: true })).toThrow(/inference/);
    for (const t of [tx, tg, tb, trm, trv]) t.dispose();
  });
  it('an eval Sequential(BN, ReLU) without a tape takes the fused kernel and matches BN then ReLU', async () => {
    const bn = new BatchNorm2d(6);
    const seq = new Sequential(bn, new ReLU());
    seq.eval();
    const { x } = inputs([2, 3, 5, 6], 9);
    const tx = toGpu(x);
    const q = engine().queue;
    const before = q.stats.dispatches;
    const fused = noGrad(() => seq.forward(tx));
    const dispatches = q.stats.dispatches - before;
    const plain = noGrad(() => relu(bn.forward(tx)));
    expect(dispatches).toBe(2); // eval statistics + the fused apply (no separate ReLU pass)
    expectClose(await toNd(fused), await toNd(plain), 0, 'fused vs composed');
    for (const t of [tx, fused, plain]) t.dispose();
    seq.dispose();
  });
});
