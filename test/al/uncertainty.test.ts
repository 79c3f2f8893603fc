// The uncertainty statistics (kernels/uncertainty.wgsl.ts through al/uncertainty.ts) against the
// float64 reference (kernels/cpu/uncertainty.ts), in both ways the kernels read a map: rows at the
// image's resolution and a coarser grid sampled bilinearly per pixel (the reference upsamples it in
// float64). Odd sizes, 1 and 3 passes, pixels with tied classes, an empty region.
// Bounds (norm-wise relative error, test/helpers.ts): margin 1e-5, entropy 1e-5, mutual information
// 1e-4 of the largest one (a difference of two entropies, so f32 cancellation shows there first;
// with one pass, where it is 0, |value| < 1e-5), feature means 1e-5. Observed errors are printed.
import { describe, expect, it } from 'vitest';
import { regionMeanFeatures, regionUncertainty, type RegionUncertainty } from '../../src/al/uncertainty.js';
import { Tensor } from '../../src/engine/tensor.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { resizeRef } from '../../src/kernels/cpu/resize.js';
import { pixelUncertaintyRef, regionMeansRef } from '../../src/kernels/cpu/uncertainty.js';
import { expectClose, relError, useEngine } from '../helpers.js';

useEngine();

/** CSR lists of R regions over npix pixels, skewed sizes; region `empty` (if given) has no pixel. */
function regions(npix: number, R: number, seed: number, empty = -1) {
  const u = randomNd([npix], seed, 0, 1).data;
  const ids = Array.from(u, (v, i) => {
    const r = i < R ? i : Math.floor(v * v * R);
    return r === empty ? (r + 1) % R : r;
  });
  const starts = new Int32Array(R + 1);
  for (const r of ids) starts[r + 1]++;
  for (let r = 0; r < R; r++) starts[r + 1] += starts[r];
  const fill = starts.slice(0, R);
  const pixels = new Int32Array(npix);
  ids.forEach((r, i) => (pixels[fill[r]++] = i));
  return { starts, pixels };
}

/** Logits [passes][pixels * K] in [-1, 1] (cosine), with ties: some pixels' two best classes equal, some all classes equal. */
function tiedLogits(passes: number, npix: number, K: number, seed: number): Float64Array[] {
  return Array.from({ length: passes }, (_, t) => {
    const z = Float64Array.from(randomNd([npix, K], seed + t, -1, 1).data);
    for (let x = 0; x < npix; x += 11) z.fill(0.25, x * K, (x + 1) * K);
    for (let x = 5; x < npix; x += 13) {
      z[x * K + 1] = 0.9;
      z[x * K + 3] = 0.9;
    }
    return z;
  });
}

function compare(got: RegionUncertainty, pixelRef: ReturnType<typeof pixelUncertaintyRef>, starts: Int32Array, pixels: Int32Array, what: string): void {
  const mean = (v: Float64Array) => regionMeansRef(v, 1, starts, pixels);
  // One pass: the reference's mutual information is 0 exactly and the kernel's is rounding noise,
  // so the bound is absolute there.
  const zeroMi = Math.max(...pixelRef.mutualInfo) === 0;
  const miError = zeroMi ? Math.max(...Array.from(got.mutualInfo, Math.abs)) : relError(got.mutualInfo, mean(pixelRef.mutualInfo));
  const [m, e] = [relError(got.margin, mean(pixelRef.margin)), relError(got.entropy, mean(pixelRef.entropy))];
  console.log(`${what}: relative errors margin ${m.toExponential(2)}, entropy ${e.toExponential(2)}; mutual information ${zeroMi ? 'largest |value|' : 'relative error'} ${miError.toExponential(2)}`);
  expectClose(got.margin, mean(pixelRef.margin), 1e-5, `${what} margin`);
  expectClose(got.entropy, mean(pixelRef.entropy), 1e-5, `${what} entropy`);
  expect(miError, `${what} mutual information`).toBeLessThanOrEqual(zeroMi ? 1e-5 : 1e-4);
}

describe('uncertainty statistics against the float64 reference', () => {
  const tau = 0.1;

  it('rows at the image resolution: 1 and 3 passes, 613 pixels, 7 classes, 17 regions (one empty)', async () => {
    const [npix, K, R] = [613, 7, 17];
    const { starts, pixels } = regions(npix, R, 3, 9);
    expect(starts[10] - starts[9]).toBe(0);
    for (const passes of [1, 3]) {
      const z = tiedLogits(passes, npix, K, 20);
      const stacked = new Float32Array(passes * npix * K);
      z.forEach((p, t) => stacked.set(p, t * npix * K));
      const got = await regionUncertainty(Tensor.fromArray(stacked, [passes * npix, K]), passes, tau, starts, pixels);
      const ref = pixelUncertaintyRef(z.map((p) => Float32Array.from(p)), K, tau);
      compare(got, ref, starts, pixels, `rows, ${passes} pass(es)`);
      expect([got.margin[9], got.entropy[9], got.mutualInfo[9]]).toEqual([0, 0, 0]);
      if (passes === 3) expect(Math.max(...got.mutualInfo)).toBeGreaterThan(0.01);
    }
  });

  it('one pixel per region shows the ties exactly: margin 0 where the two best classes are equal, entropy log K where all are', async () => {
    const [npix, K] = [29, 5];
    const starts = Int32Array.from({ length: npix + 1 }, (_, i) => i);
    const pixels = Int32Array.from({ length: npix }, (_, i) => i);
    const [z] = tiedLogits(1, npix, K, 40);
    const got = await regionUncertainty(Tensor.fromArray(Float32Array.from(z), [npix, K]), 1, tau, starts, pixels);
    for (const x of [0, 11, 22]) {
      expect(got.margin[x]).toBe(0);
      expect(got.entropy[x]).toBeCloseTo(Math.log(K), 5);
    }
    for (const x of [5, 18]) expect(got.margin[x]).toBe(0);
    expectClose(got.margin, pixelUncertaintyRef([Float32Array.from(z)], K, tau).margin, 1e-5, 'per-pixel margin');
  });

  it('a 5x7 grid of 3 passes sampled at a 19x27 image (non-integer scale), 6 classes, 13 regions', async () => {
    const [GH, GW, H, W, K, R, passes] = [5, 7, 19, 27, 6, 13, 3];
    const npix = H * W;
    const { starts, pixels } = regions(npix, R, 5);
    const grids = tiedLogits(passes, GH * GW, K, 60);
    const stacked = new Float32Array(passes * GH * GW * K);
    grids.forEach((g, t) => stacked.set(g, t * GH * GW * K));
    const got = await regionUncertainty(Tensor.fromArray(stacked, [passes, GH, GW, K]), passes, tau, starts, pixels, { width: W, height: H });
    const rows = grids.map((g) => resizeRef({ shape: [1, GH, GW, K], data: Float64Array.from(Float32Array.from(g)) }, [H, W], false).data);
    compare(got, pixelUncertaintyRef(rows, K, tau), starts, pixels, 'grid, 3 passes');
    // One pass of a grid reads the same with or without the leading 1.
    const one = await regionUncertainty(Tensor.fromArray(stacked.subarray(0, GH * GW * K), [GH, GW, K]), 1, tau, starts, pixels, { width: W, height: H });
    compare(one, pixelUncertaintyRef([rows[0]], K, tau), starts, pixels, 'grid, 1 pass');
  });

  it('region mean features: a 5x7 grid of 9 channels at a 19x27 image, and rows', async () => {
    const [GH, GW, H, W, D, R] = [5, 7, 19, 27, 9, 11];
    const npix = H * W;
    const { starts, pixels } = regions(npix, R, 7, 4);
    const grid = randomNd([1, GH, GW, D], 8, -1, 1);
    const got = await regionMeanFeatures(Tensor.fromArray(grid.data, [1, GH, GW, D]), starts, pixels, { width: W, height: H });
    const rows = resizeRef({ shape: grid.shape, data: Float64Array.from(Float32Array.from(grid.data)) }, [H, W], false).data;
    expect(got.channels).toBe(D);
    const ref = regionMeansRef(rows, D, starts, pixels);
    console.log(`feature means, grid: relative error ${relError(got.values, ref).toExponential(2)}`);
    expectClose(got.values, ref, 1e-5, 'grid feature means');
    expect(Array.from(got.values.subarray(4 * D, 5 * D))).toEqual(new Array(D).fill(0));
    const flat = Float32Array.from(rows);
    const fromRows = await regionMeanFeatures(Tensor.fromArray(flat, [npix, D]), starts, pixels);
    expectClose(fromRows.values, regionMeansRef(flat, D, starts, pixels), 1e-5, 'row feature means');
  });

  it('passes that do not match the logits are refused', async () => {
    const z = Tensor.fromArray(new Float32Array(2 * 3 * 4 * 5), [2, 3, 4, 5]);
    await expect(regionUncertainty(z, 3, 0.1, Int32Array.from([0, 1]), Int32Array.from([0]), { width: 8, height: 6 })).rejects.toThrow(/3 passes need logits \[3, h, w, K\]/);
  });
});
