// The typed-array API gives the same answers as the tensor operations' float64 references, and the
// mIoU of a hand-counted confusion matrix.
import { describe, expect, it } from 'vitest';
import { acquisitionScores, miouOnArrays, regionLossOnArrays, regionStatsOnArrays, pseudoLabelsOnArrays } from '../../src/al/api.js';
import { resizeRef } from '../../src/kernels/cpu/resize.js';
import { pixelUncertaintyRef, regionMeansRef } from '../../src/kernels/cpu/uncertainty.js';
import { buildRegionBatch } from '../../src/al/region-batch.js';
import { regionLossGradRef, regionLossRef } from '../../src/kernels/cpu/region-loss.js';
import { regionStatsRef } from '../../src/kernels/cpu/acquisition.js';
import { pseudoLabelsRef } from '../../src/kernels/cpu/pseudo-labels.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { regionAdjacency, regionPixels } from '../../src/superpixels/adjacency.js';
import { expectClose, useEngine } from '../helpers.js';

useEngine();

describe('typed-array API', () => {
  const H = 6;
  const W = 8;
  const C = 4;
  const ids = Int32Array.from({ length: H * W }, (_, i) => Math.floor((i % W) / 4) + 2 * Math.floor(Math.floor(i / W) / 3));
  const map = { width: W, height: H, ids, count: 4 };
  const z = randomNd([H, W, C], 1, -1, 1);
  const logits = { data: Float32Array.from(z.data), shape: [H, W, C] };
  const labels = new Map([
    [0, 0b0011],
    [3, 0b0100],
  ]);

  it('region loss and gradient', async () => {
    const got = await regionLossOnArrays(logits, ids, labels);
    const batch = buildRegionBatch(ids, (k) => labels.get(k), C);
    const ref = regionLossRef(z.data, batch, 0.1, 1e-8);
    expectClose([got.total, got.ce, got.mp, got.pp], [ref.total, ref.ce, ref.mp, ref.pp], 1e-5);
    expectClose(got.grad, regionLossGradRef(z.data, batch, 0.1, 1e-8), 1e-4);
  });

  it('region statistics', async () => {
    const px = regionPixels(map);
    const stats = await regionStatsOnArrays(logits, map);
    const ref = regionStatsRef(z.data, C, 0.1, px.offsets, px.pixels);
    expectClose(stats.meanBvsb, ref.meanBvsb, 1e-5);
  });

  it('pseudo-labels: the whole map as the float64 reference gives it (localisation and expansion on)', async () => {
    const feat = randomNd([H, W, 3], 2);
    const features = { data: Float32Array.from(feat.data), shape: [H, W, 3] };
    const pl = await pseudoLabelsOnArrays(logits, features, map, labels);
    const px = regionPixels(map);
    // The method's defaults: both steps on, the code's reading (8-connected neighbours).
    const adjacency = regionAdjacency(map, 8);
    const reference = (localise: boolean, expand: boolean) =>
      pseudoLabelsRef({ z: z.data, feat: feat.data, classes: C, dim: 3, ids, regionStart: px.offsets, regionPixels: px.pixels, adjStart: adjacency.offsets, adj: adjacency.neighbours, labels, localise, expand, reading: 'code' });
    const want = reference(true, true);
    expect(Array.from(pl)).toEqual(Array.from(want));
    // The case tells the steps apart: without either, the reference's map differs.
    const changed = (other: Int32Array) => want.filter((v, i) => v !== other[i]).length;
    expect(changed(reference(false, true))).toBeGreaterThan(0);
    expect(changed(reference(true, false))).toBeGreaterThan(0);
  });

  it('mIoU: the IoU of each class of a hand-counted confusion matrix', async () => {
    // 2x5 pixels, 4 classes plus a fifth output (an undefined class) that is never predicted. Each
    // pixel's logits are 0 but 2 at its class; pixel 3's undefined output is 9 (the largest).
    const predicted = [0, 0, 0, 1, 1, 1, 2, 2, 0, 1];
    const truth = [0, 0, 1, 1, 1, 2, 2, 255, 2, 0];
    const K = 5;
    const data = new Float32Array(10 * K);
    predicted.forEach((c, i) => (data[i * K + c] = 2));
    data[3 * K + 4] = 9;
    const r = await miouOnArrays({ data, shape: [2, 5, K] }, truth, 4);
    // Rows truth, columns prediction, pixel 7 ignored (255):
    //   truth 0: pixels 0, 1 -> 0; 9 -> 1          [2, 1, 0, 0]
    //   truth 1: pixel 2 -> 0; 3, 4 -> 1           [1, 2, 0, 0]
    //   truth 2: pixel 5 -> 1; 6 -> 2; 8 -> 0      [1, 1, 1, 0]
    //   truth 3: none                             [0, 0, 0, 0]
    // IoU = tp / (row + column - tp): class 0: 2 / (3 + 4 - 2) = 2/5; class 1: 2 / (3 + 4 - 2) = 2/5;
    // class 2: 1 / (3 + 1 - 1) = 1/3; class 3 is in neither: NaN, left out of the mean.
    expect(r.perClass).toHaveLength(4);
    expectClose(r.perClass.slice(0, 3), [2 / 5, 2 / 5, 1 / 3], 1e-12);
    expect(r.perClass[3]).toBeNaN();
    expect(r.miou).toBeCloseTo((2 / 5 + 2 / 5 + 1 / 3) / 3, 12);
    // The authors' convention: a class absent from the ground truth counts 1, the mean over all 4.
    expect(r.miouAllClasses).toBeCloseTo((2 / 5 + 2 / 5 + 1 / 3 + 1) / 4, 12);
    // 5 of the 9 counted pixels right.
    expect(r.pixelAccuracy).toBeCloseTo(5 / 9, 12);
  });

  it('Margin, Entropy, BALD and KNN from arrays: the statistics they read, and their scores', async () => {
    const px = regionPixels(map);
    // Two dropout-like passes on a 3x4 grid (half the resolution), features at the image's.
    const passes = { data: Float32Array.from(randomNd([2, 3, 4, C], 3, -1, 1).data), shape: [2, 3, 4, C] };
    const features = { data: Float32Array.from(randomNd([H, W, 5], 4).data), shape: [H, W, 5] };
    const stats = await regionStatsOnArrays(logits, map, 0.1, { uncertainty: passes, features });
    const rows = [0, 1].map((t) => resizeRef({ shape: [1, 3, 4, C], data: Float64Array.from(passes.data.subarray(t * 12 * C, (t + 1) * 12 * C)) }, [H, W], false).data);
    const u = pixelUncertaintyRef(rows, C, 0.1);
    expectClose(stats.uncertainty!.mutualInfo, regionMeansRef(u.mutualInfo, 1, px.offsets, px.pixels), 1e-4, 'mutual information');
    expectClose(stats.features!.values, regionMeansRef(features.data, 5, px.offsets, px.pixels), 1e-5, 'feature means');
    const candidates = [1, 2, 3].map((region) => ({ image: 0, region }));
    for (const kind of ['margin', 'entropy', 'bald'] as const) {
      const scores = acquisitionScores(kind, [stats], candidates, 6);
      expect(scores.every((v) => v >= 0)).toBe(true);
    }
    const knn = acquisitionScores('knn', [stats], candidates, 6, undefined, { labelled: [{ image: 0, region: 0 }], k: 1 });
    const unit = (r: number) => {
      const v = Array.from(regionMeansRef(features.data, 5, px.offsets, px.pixels).subarray(r * 5, r * 5 + 5));
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    };
    candidates.forEach(({ region }, i) => expect(knn[i]).toBeCloseTo(1 - unit(region).reduce((s, x, c) => s + x * unit(0)[c], 0), 5));
  });
});
