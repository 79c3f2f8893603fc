// Stage-2 pseudo-labels on the GPU vs the CPU reference, and on a case whose answer is known.
import { describe, expect, it } from 'vitest';
import { pseudoLabels } from '../../src/al/pseudo-labels.js';
import { oraclePseudoLabels } from '../../src/run/pseudo-label-files.js';
import { regionAdjacency, regionPixels } from '../../src/superpixels/adjacency.js';
import { Tensor } from '../../src/engine/tensor.js';
import { pseudoLabelsRef } from '../../src/kernels/cpu/pseudo-labels.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { resizeRef } from '../../src/kernels/cpu/resize.js';
import { protoFeaturesLaunch } from '../../src/kernels/pseudo-labels.wgsl.js';
import { run } from '../../src/engine/ops/run.js';
import { read } from '../../src/engine/io.js';
import { relError, useEngine } from '../helpers.js';

useEngine();

/** A 13x17 image cut into 3x4 blocks of uneven size. */
function blocks(W: number, H: number) {
  const ids = new Int32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) ids[y * W + x] = Math.min(3, Math.floor(x / 5)) + 4 * Math.min(2, Math.floor(y / 5));
  return { width: W, height: H, ids, count: 12 };
}

/** Four labelled superpixels of `blocks`: two classes, one, two, and all four. */
const LABELS = new Map<number, number>([
  [0, 0b0011],
  [5, 0b0100],
  [6, 0b1010],
  [11, 0b1111],
]);

describe('pseudo-labels', () => {
  it('sample grid features at pixels as the bilinear resize does (proto_features kernel vs reference)', async () => {
    // A 5x7 grid of 9 channels read for a 17x26 image (non-integer scales), at 13 pixels.
    const [fh, fw, D, H, W] = [5, 7, 9, 17, 26];
    const f = randomNd([1, fh, fw, D], 11, -1, 1);
    const up = resizeRef(f, [H, W], false);
    const at = Int32Array.from({ length: 13 }, (_, k) => (k * 97 + 5) % (H * W));
    const out = Tensor.empty([at.length, D]);
    run(protoFeaturesLaunch(at.length, D, { features: { width: W, height: H, gh: fh, gw: fw }, logits: { width: W, height: H, gh: H, gw: W } }), {
      feat: Tensor.fromArray(f.data, [fh * fw, D]),
      proto_pixel: Tensor.fromArray(at, [at.length], 'i32'),
      out,
    });
    const want = Array.from(at).flatMap((x) => Array.from(up.data.subarray(x * D, (x + 1) * D)));
    expect(relError(await read(out), want)).toBeLessThan(1e-6);
  });

  it('give the same labels from a low-resolution feature grid as from its upsampled full-resolution map', async () => {
    const map = blocks(17, 13);
    const npix = 17 * 13;
    const [C, D, fh, fw] = [4, 6, 4, 5];
    const z = randomNd([npix, C], 3, -2, 2);
    const grid = randomNd([1, fh, fw, D], 4, -1, 1);
    const full = resizeRef(grid, [13, 17], false);
    const labels = LABELS;
    const pixels = regionPixels(map);
    const adjacency = regionAdjacency(map, 8);
    const flags = { localise: true, expand: true, reading: 'code' as const };
    const got = await pseudoLabels(
      { logits: Tensor.fromArray(z.data, [npix, C]), features: Tensor.fromArray(grid.data, [1, fh, fw, D]), width: 17, ids: map.ids, pixels, adjacency, labels },
      flags,
    );
    // Against the same kernels on the upsampled map (the pipeline before grids were read directly).
    // Not against the float64 reference: upsampled features are smooth, so near-ties between
    // prototypes are common and float32 may break one the other way (the random-feature tests
    // above hold the kernels to the reference).
    const want = await pseudoLabels({ logits: Tensor.fromArray(z.data, [npix, C]), features: Tensor.fromArray(full.data, [npix, D]), ids: map.ids, pixels, adjacency, labels }, flags);
    expect(Array.from(got)).toEqual(Array.from(want));
    // The grid spreads labels beyond the labelled regions (expansion ran on sampled features).
    expect(Array.from(got).filter((v, x) => v !== 255 && !labels.has(map.ids[x])).length).toBeGreaterThan(0);
    // A grid without the image width is refused with a clear message.
    await expect(
      pseudoLabels({ logits: Tensor.fromArray(z.data, [npix, C]), features: Tensor.fromArray(grid.data, [fh, fw, D]), ids: map.ids, pixels, adjacency, labels }, flags),
    ).rejects.toThrow(/give the image width/);
  });

  for (const flags of [
    { localise: true, expand: true, reading: 'code' as const },
    // tau 0.5 for the text reading's prototypes: at 0.1 many probabilities round to 1.0 in f32 and
    // the first of the tied pixels differs from float64's winner (the next test checks tau 0.1).
    { localise: true, expand: true, reading: 'text' as const, tau: 0.5 },
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
      const labels = LABELS;
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

  it("picks prototypes at temperature 1 in the code reading and at the model's tau in the text reading", async () => {
    // One labelled region {0, 1} of three pixels A, B, D (3 classes). Class 0's prototype is A at
    // temperature 1 (p0 0.512 vs B's 0.502) but B at tau 0.1 (0.881 vs 0.998); D is class 1's in both.
    const ids = Int32Array.from([0, 0, 0]);
    const map = { width: 3, height: 1, ids, count: 1 };
    const z = [[1, 0.8, -1], [0.5, -0.2, -0.2], [-1, 1, -1]].flat();
    const f = [[1, 0], [0, 1], [Math.SQRT1_2, Math.SQRT1_2]].flat();
    const labelsWith = async (reading: 'code' | 'text') =>
      Array.from(
        await pseudoLabels(
          { logits: Tensor.fromArray(z, [3, 3]), features: Tensor.fromArray(f, [3, 2]), ids, pixels: regionPixels(map), adjacency: regionAdjacency(map, 8), labels: new Map([[0, 0b011]]) },
          { localise: true, expand: true, reading, tau: 0.1 },
        ),
      );
    // The prototype's own pixel takes class 0; the other of A, B is nearer class 1's prototype (D).
    expect(await labelsWith('code')).toEqual([0, 1, 1]);
    expect(await labelsWith('text')).toEqual([1, 0, 1]);
  });

  it("the upper bound's pseudo-labels: ground truth inside labelled regions (multi), the region's class (dominant)", () => {
    // Superpixels 0 (pixels 0-3) and 1 (pixels 4-5) labelled, 2 (pixels 6-7) not; 3 classes + undefined (3).
    const ids = Int32Array.from([0, 0, 0, 0, 1, 1, 2, 2]);
    const gt = Uint8Array.from([0, 1, 2, 255, 1, 1, 0, 0]);
    const multi = new Map([[0, 0b1011], [1, 0b0010]]); // {0, 1, undefined}, {1}
    expect(Array.from(oraclePseudoLabels(ids, gt, multi, 'multi', 3, true))).toEqual([0, 1, 255, 3, 1, 1, 255, 255]);
    const dominant = new Map([[0, 0b0001], [1, 0b0010]]);
    expect(Array.from(oraclePseudoLabels(ids, gt, dominant, 'dominant', 3, true))).toEqual([0, 0, 0, 0, 1, 1, 255, 255]);
  });
});
