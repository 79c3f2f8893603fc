// Bilinear resize (kernels/resize.wgsl.ts) against kernels/cpu/resize.ts, both align_corners modes.
import { describe, it } from 'vitest';
import { resizeBilinear } from '../../src/engine/ops/resize.js';
import { resizeGradRef, resizeRef } from '../../src/kernels/cpu/resize.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { finiteDifferenceCheck, gpuVsReference, useEngine } from '../helpers.js';

useEngine();

// Upsampling by 4 (decoder), to the label size (non-integer ratios), downsampling, 1x1 in and out.
const CASES: { shape: number[]; size: [number, number] }[] = [
  { shape: [2, 4, 5, 3], size: [16, 20] },
  { shape: [1, 5, 7, 4], size: [13, 9] },
  { shape: [3, 9, 8, 2], size: [4, 3] },
  { shape: [1, 1, 1, 5], size: [3, 4] },
  { shape: [1, 3, 4, 2], size: [1, 1] },
  // C a multiple of 4 takes the vec4 kernels: 4x upsampling as of logits, and a downsampling.
  { shape: [2, 6, 5, 8], size: [24, 20] },
  { shape: [1, 9, 7, 12], size: [4, 5] },
];

describe('bilinear resize', () => {
  for (const align of [false, true]) {
    it(`align_corners=${align}: finite differences on the reference`, () => {
      finiteDifferenceCheck(([x]) => resizeRef(x, [5, 7], align), ([x], g) => [resizeGradRef(x, [5, 7], align, g)], [randomNd([1, 3, 4, 2], 1)]);
    });
    for (const [i, c] of CASES.entries()) {
      it(`align_corners=${align} [${c.shape}] -> ${c.size}: GPU forward and gather backward vs reference`, async () => {
        await gpuVsReference(
          ([x]) => resizeBilinear(x, c.size, align),
          ([x]) => resizeRef(x, c.size, align),
          ([x], g) => [resizeGradRef(x, c.size, align, g)],
          [randomNd(c.shape, 30 + i)],
          { forward: 1e-5, backward: 1e-5 },
        );
      });
    }
  }
});
