// Fused cosine classifier (kernels/cosine-head.wgsl.ts) against kernels/cpu/cosine.ts.
import { describe, it } from 'vitest';
import { cosineClassifier } from '../../src/engine/ops/cosine.js';
import { cosineGradRef, cosineRef } from '../../src/kernels/cpu/cosine.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { finiteDifferenceCheck, gpuVsReference, useEngine } from '../helpers.js';

useEngine();

const CASES: { f: number[]; k: number }[] = [
  { f: [2, 3, 5, 8], k: 5 }, // vec4 channels, classes not a multiple of the 4-class tile
  { f: [1, 4, 3, 7], k: 3 }, // odd channels
  { f: [3, 1, 1, 12], k: 21 },
];

describe('cosine classifier', () => {
  it('finite differences on the reference', () => {
    finiteDifferenceCheck(([f, w]) => cosineRef(f, w, 0.1), ([f, w], g) => cosineGradRef(f, w, 0.1, g), [randomNd([1, 2, 3, 4], 1), randomNd([3, 4], 2)], {
      bound: 1e-5,
    });
  });
  for (const [i, c] of CASES.entries()) {
    for (const tau of [0.1, 1]) {
      it(`features [${c.f}], ${c.k} classes, tau ${tau}: GPU vs reference`, async () => {
        await gpuVsReference(
          ([f, w]) => cosineClassifier(f, w, tau),
          ([f, w]) => cosineRef(f, w, tau),
          ([f, w], g) => cosineGradRef(f, w, tau, g),
          [randomNd(c.f, 40 + i), randomNd([c.k, c.f[3]], 50 + i)],
          { forward: 1e-5, backward: 1e-5 },
        );
      });
    }
  }
});
