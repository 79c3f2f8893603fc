// The typed-array API gives the same answers as the tensor operations' references.
import { describe, expect, it } from 'vitest';
import { acquisitionScores, miouOnArrays, regionLossOnArrays, regionStatsOnArrays, pseudoLabelsOnArrays } from '../../src/al/api.js';
import { resizeRef } from '../../src/kernels/cpu/resize.js';
import { pixelUncertaintyRef, regionMeansRef } from '../../src/kernels/cpu/uncertainty.js';
import { buildRegionBatch } from '../../src/al/region-batch.js';
import { regionLossGradRef, regionLossRef } from '../../src/kernels/cpu/region-loss.js';
import { regionStatsRef } from '../../src/kernels/cpu/acquisition.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { regionPixels } from '../../src/superpixels/adjacency.js';
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

  it('region statistics, pseudo-labels and mIoU', async () => {
    const px = regionPixels(map);
    const stats = await regionStatsOnArrays(logits, map);
    const ref = regionStatsRef(z.data, C, 0.1, px.offsets, px.pixels);
    expectClose(stats.meanBvsb, ref.meanBvsb, 1e-5);
    const features = { data: Float32Array.from(randomNd([H, W, 3], 2).data), shape: [H, W, 3] };
    const pl = await pseudoLabelsOnArrays(logits, features, map, labels);
    for (let i = 0; i < H * W; i++) if (ids[i] === 3) expect(pl[i]).toBe(2);
    const truth = Array.from({ length: H * W }, (_, i) => (i % 5 === 0 ? 255 : i % C));
    const r = await miouOnArrays(logits, truth, C);
    expect(r.perClass).toHaveLength(C);
    expect(r.miou).toBeGreaterThanOrEqual(0);
    expect(r.miou).toBeLessThanOrEqual(1);
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
