// Acquisition statistics, the confusion matrix, label maps and pseudo-labels read the model's logits
// at its own (1/4) resolution and sample them per pixel inside their kernels. Where the old path
// fit (upsample to the image with resizeBilinear, then the same kernels on full-resolution rows),
// the results must be the same: the same labels, counts and majority classes, and statistics equal
// to float32 rounding. Odd sizes, non-integer scales.
import { describe, expect, it } from 'vitest';
import { regionStats } from '../../src/al/acquisition.js';
import { argmaxRows, labelMap } from '../../src/al/inference.js';
import { ConfusionMatrix } from '../../src/al/metrics.js';
import { pseudoLabels } from '../../src/al/pseudo-labels.js';
import { regionAdjacency, regionPixels } from '../../src/superpixels/adjacency.js';
import { read } from '../../src/engine/io.js';
import { resizeBilinear } from '../../src/engine/ops/resize.js';
import { Tensor } from '../../src/engine/tensor.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { expectClose, useEngine } from '../helpers.js';

useEngine();

// A 5x7 grid of K = 6 outputs (5 classes + the undefined one) for a 19x27 image.
const [GH, GW, K, H, W] = [5, 7, 6, 19, 27];
const NPIX = H * W;

function blocks() {
  const ids = new Int32Array(NPIX);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) ids[y * W + x] = Math.floor(y / 6) * 5 + Math.floor(x / 6);
  return { width: W, height: H, ids, count: 20 };
}

/** The logit grid, and the old path's full-resolution rows [pixels, K] of it (resized on the GPU). */
function logits(seed: number) {
  const grid = Tensor.fromArray(randomNd([1, GH, GW, K], seed, -2, 2).data, [1, GH, GW, K]);
  const full = resizeBilinear(grid, [H, W], false);
  return { grid, rows: full.view([NPIX, K], [K, 1], 0) };
}

describe('model outputs sampled per pixel give what the upsampled full-resolution maps gave', () => {
  it('acquisition statistics: same counts and majority classes, sums within 1e-6', async () => {
    const map = blocks();
    const px = regionPixels(map);
    const { grid, rows } = logits(1);
    const got = await regionStats(grid, 0.1, px.offsets, px.pixels, { width: W, height: H });
    const want = await regionStats(rows, 0.1, px.offsets, px.pixels);
    expect(Array.from(got.count)).toEqual(Array.from(want.count));
    expect(Array.from(got.majority)).toEqual(Array.from(want.majority));
    expectClose(got.meanBvsb, want.meanBvsb, 1e-6, 'mean BvSB');
    expectClose(got.bvsbByClass, want.bvsbByClass, 1e-6, 'BvSB by class');
    expectClose(got.probSum, want.probSum, 1e-6, 'softmax sums');
  });

  it('confusion matrix and label map: the same counts and the same labels', async () => {
    const { grid, rows } = logits(2);
    const gt = Int32Array.from(randomNd([NPIX], 3, 0, 1).data, (v, i) => (i % 13 === 0 ? 255 : Math.floor(v * (K - 1))));
    const a = new ConfusionMatrix(K - 1);
    const b = new ConfusionMatrix(K - 1);
    a.add(grid, gt, W);
    b.add(rows, gt);
    const counts = Array.from(await a.counts());
    expect(counts).toEqual(Array.from(await b.counts()));
    expect(counts.reduce((s, v) => s + v, 0)).toBe(gt.filter((g) => g !== 255).length);
    a.dispose();
    b.dispose();
    const labels = await labelMap(grid, K - 1, { width: W, height: H });
    expect(Array.from(labels)).toEqual(Array.from(argmaxRows(await read(rows) as Float32Array, K, K - 1)));
    expect(() => a.add(grid, gt)).toThrow(/give the image width/);
  });

  it('pseudo-labels: logits and features as grids give the labels of their upsampled maps', async () => {
    const map = blocks();
    const pixels = regionPixels(map);
    const adjacency = regionAdjacency(map, 8);
    const labels = new Map([[0, 0b11], [6, 0b100], [7, 0b1010], [13, 0b111]]);
    const { grid, rows } = logits(4);
    const D = 8;
    const feat = Tensor.fromArray(randomNd([1, GH, GW, D], 5, -1, 1).data, [1, GH, GW, D]);
    const featRows = resizeBilinear(feat, [H, W], false).view([NPIX, D], [D, 1], 0);
    for (const flags of [{ localise: true, expand: true, reading: 'code' as const }, { localise: false, expand: true, reading: 'text' as const }]) {
      const got = await pseudoLabels({ logits: grid, features: feat, width: W, ids: map.ids, pixels, adjacency, labels }, flags);
      const want = await pseudoLabels({ logits: rows, features: featRows, ids: map.ids, pixels, adjacency, labels }, flags);
      expect(Array.from(got)).toEqual(Array.from(want));
      expect(got.filter((v) => v !== 255).length).toBeGreaterThan(0);
    }
  });
});
