// Stage-2 pseudo-labels on the GPU vs the CPU reference, and on a case whose answer is known.
import { describe, expect, it } from 'vitest';
import { pseudoLabels } from '../../src/al/pseudo-labels.js';
import { regionAdjacency, regionPixels } from '../../src/al/superpixels/adjacency.js';
import { Tensor } from '../../src/engine/tensor.js';
import { pseudoLabelsRef } from '../../src/kernels/cpu/pseudo-labels.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { useEngine } from '../helpers.js';

useEngine();

/** A 13x17 image cut into 3x4 blocks of uneven size. */
function blocks(W: number, H: number) {
  const ids = new Int32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) ids[y * W + x] = Math.min(3, Math.floor(x / 5)) + 4 * Math.min(2, Math.floor(y / 5));
  return { width: W, height: H, ids, count: 12 };
}

describe('pseudo-labels', () => {
  for (const flags of [
    { localise: true, expand: true, reading: 'code' as const },
    { localise: true, expand: true, reading: 'text' as const },
    { localise: false, expand: true, reading: 'code' as const },
    { localise: true, expand: false, reading: 'code' as const },
  ]) {
    it(`match the reference on random features (localise ${flags.localise}, expand ${flags.expand}, ${flags.reading} reading)`, async () => {
      const map = blocks(17, 13);
      const npix = 17 * 13;
      const C = 4;
      const D = 6;
      const z = randomNd([npix, C], 1, -2, 2);
      const feat = randomNd([npix, D], 2, -1, 1);
      const labels = new Map<number, number>([
        [0, 0b0011],
        [5, 0b0100],
        [6, 0b1010],
        [11, 0b1111],
      ]);
      const pixels = regionPixels(map);
      const adjacency = regionAdjacency(map, 8);
      const got = await pseudoLabels(
        { logits: Tensor.fromArray(z.data, [npix, C]), features: Tensor.fromArray(feat.data, [npix, D]), ids: map.ids, pixels, adjacency, labels },
        flags,
      );
      const want = pseudoLabelsRef({
        z: z.data,
        feat: feat.data,
        classes: C,
        dim: D,
        ids: map.ids,
        regionStart: pixels.offsets,
        regionPixels: pixels.pixels,
        adjStart: adjacency.offsets,
        adj: adjacency.neighbours,
        labels,
        ...flags,
      });
      expect(Array.from(got)).toEqual(Array.from(want));
      // Sanity: labelled pixels always carry a class of their region; unlabelled far regions stay 255.
      for (let x = 0; x < npix; x++) if (map.ids[x] === 5) expect(got[x]).toBe(2);
      if (!flags.expand) for (let x = 0; x < npix; x++) if (!labels.has(map.ids[x])) expect(got[x]).toBe(255);
    });
  }

  it('localises two classes by feature similarity inside a region and expands to a similar neighbour', async () => {
    // 1x8 strip: superpixel 0 = pixels 0-3 labelled {0, 1}; superpixel 1 = pixels 4-7 unlabelled.
    const ids = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
    const map = { width: 8, height: 1, ids, count: 2 };
    const f = [
      [1, 0], [1, 0.1], [0, 1], [0.1, 1], // left half like class 0, right half like class 1
      [0.05, 1], [0, 1], [0.6, 0.8], [1, 0], // neighbour: mostly class-1-like
    ].flat();
    // logits make pixel 0 the prototype of class 0 and pixel 2 the prototype of class 1
    const z = [
      [5, 0], [1, 0], [0, 5], [0, 1],
      [0, 0], [0, 0], [0, 0], [0, 0],
    ].flat();
    const got = await pseudoLabels({
      logits: Tensor.fromArray(z, [8, 2]),
      features: Tensor.fromArray(f, [8, 2]),
      ids,
      pixels: regionPixels(map),
      adjacency: regionAdjacency(map, 8),
      labels: new Map([[0, 0b11]]),
    });
    expect(Array.from(got.slice(0, 4))).toEqual([0, 0, 1, 1]);
    // thresholds: class 1's lower median of {cos(p2,p2)=1, cos(p3,p2)} = cos(p3, p2) ~ 0.995;
    // pixel 5 (identical to the prototype) passes, pixel 4 (0.9988) passes, pixel 6 (0.8) does not.
    expect(got[5]).toBe(1);
    expect(got[6]).toBe(255);
  });
});
