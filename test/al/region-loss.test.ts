// Stage-1 losses: CPU reference (finite differences), fused kernels and the unfused composition
// against it, on irregular regions (single-class, multi-class, unlabelled, the undefined class).
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/engine/backward.js';
import { read } from '../../src/engine/io.js';
import { Tensor, tidy } from '../../src/engine/tensor.js';
import { readingLossOptions, regionLoss, regionLossUnfused } from '../../src/al/losses.js';
import { buildRegionBatch, chooseMicroBatch, popcount, sliceRegionBatch, type LossReading } from '../../src/al/region-batch.js';
import { BindingLimitError } from '../../src/engine/errors.js';
import { regionLossGradRef, regionLossRef } from '../../src/kernels/cpu/region-loss.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { expectClose, useEngine } from '../helpers.js';
import { C, regionScene } from './region-scene.js';

useEngine();

const scene = (seed: number, reading: LossReading) => regionScene(seed, reading);

for (const reading of ['code', 'text'] as const) {
  describe(`region losses (${reading} reading)`, () => {
    it('the scene has single-class, multi-class and unlabelled pixels', () => {
      const { batch } = scene(1, reading);
      expect(batch.ceRegions).toBeGreaterThan(0);
      expect(batch.mpRegions).toBeGreaterThan(0);
      expect(Array.from(batch.regionOf).some((r) => r < 0)).toBe(true);
      expect(Array.from(batch.labelMask).some((m) => popcount(m) >= 2 && m & (1 << (C - 1)))).toBe(true);
    });

    for (const eps of [1e-8, 0]) it(`reference gradient matches finite differences (float64, eps ${eps}, rel. error <= 1e-6)`, () => {
      const { batch, z } = scene(2, reading);
      const tau = 0.5; // a milder temperature keeps central differences accurate
      const f = regionLossRef(z.data, batch, tau, eps);
      expect(f.ce).toBeGreaterThan(0);
      expect(f.mp).toBeGreaterThan(0);
      expect(f.pp).toBeGreaterThan(0);
      const analytic = regionLossGradRef(z.data, batch, tau, eps);
      const h = 1e-6;
      const numeric = new Float64Array(z.data.length);
      for (let i = 0; i < z.data.length; i++) {
        const keep = z.data[i];
        z.data[i] = keep + h;
        const up = regionLossRef(z.data, batch, tau, eps).total;
        z.data[i] = keep - h;
        const down = regionLossRef(z.data, batch, tau, eps).total;
        z.data[i] = keep;
        numeric[i] = (up - down) / (2 * h);
      }
      expectClose(analytic, numeric, 1e-6);
    });

    for (const [name, fn] of [
      ['fused kernels', regionLoss],
      ['unfused composition', regionLossUnfused],
    ] as const) {
      it(`${name}: loss terms and gradient match the reference (rel. error <= 1e-4)`, async () => {
        const { batch, z } = scene(3, reading);
        const ref = regionLossRef(z.data, batch, 0.1, 1e-8);
        const grad = regionLossGradRef(z.data, batch, 0.1, 1e-8);
        await tidy(async () => {
          const logits = Tensor.fromArray(z.data, z.shape);
          logits.requiresGrad = true;
          const out = fn(logits, batch, { tau: 0.1, eps: 1e-8 });
          const got = await Promise.all([out.total, out.ce, out.mp, out.pp].map(async (t) => (await read(t))[0]));
          expectClose(got, [ref.total, ref.ce, ref.mp, ref.pp], 1e-5, 'loss terms');
          backward(out.total);
          expectClose(await read(logits.grad!), grad, 1e-4, 'gradient');
          logits.grad!.dispose();
        });
      });
    }

    it('a batch with no multi-class region has no pairs and a zero PP term', async () => {
      const keys = Int32Array.from([0, 0, 1, 1, -1, 2]);
      const batch = buildRegionBatch(keys, (k) => [1, 4, undefined][k], 3, { reading });
      expect(batch.pairRegion.length).toBe(0);
      const z = randomNd([6, 3], 9);
      const ref = regionLossRef(z.data, batch, 0.1, 1e-8);
      await tidy(async () => {
        const out = regionLoss(Tensor.fromArray(z.data, [6, 3]), batch);
        expect((await read(out.pp))[0]).toBe(0);
        expectClose([(await read(out.total))[0]], [ref.total], 1e-5);
      });
    });
  });
}

/** Logits [..., C] of the scene scaled so that z / tau spans +-300: label-set probabilities underflow in f32. */
function extreme(z: { data: Float64Array | Float32Array; shape: number[] }) {
  return { data: Float64Array.from(z.data, (v) => v * 30), shape: z.shape };
}

describe('the text reading: no eps inside the logs, computed as log-probabilities', () => {
  it('the text reading has eps 0, the code reading the authors\' 1e-8', () => {
    expect(readingLossOptions('text', 0.1)).toEqual({ tau: 0.1, eps: 0 });
    expect(readingLossOptions('code', 0.1)).toEqual({ tau: 0.1, eps: 1e-8 });
  });
  for (const [name, fn] of [
    ['fused kernels', regionLoss],
    ['unfused composition', regionLossUnfused],
  ] as const) {
    it(`${name}: finite and equal to the float64 reference where p underflows in f32 (rel. error <= 1e-4)`, async () => {
      const { batch, z: z0 } = scene(5, 'text');
      const z = extreme(z0);
      const options = readingLossOptions('text', 0.1);
      const ref = regionLossRef(z.data, batch, options.tau, options.eps);
      const grad = regionLossGradRef(z.data, batch, options.tau, options.eps);
      expect(ref.mp).toBeGreaterThan(100); // some label set's probability is below f32's range
      await tidy(async () => {
        const logits = Tensor.fromArray(z.data, z.shape);
        logits.requiresGrad = true;
        const out = fn(logits, batch, options);
        const got = await Promise.all([out.total, out.ce, out.mp, out.pp].map(async (t) => (await read(t))[0]));
        expectClose(got, [ref.total, ref.ce, ref.mp, ref.pp], 1e-4, 'loss terms');
        backward(out.total);
        expectClose(await read(logits.grad!), grad, 1e-4, 'gradient');
        logits.grad!.dispose();
      });
    });
  }
});

describe('the unfused composition agrees with the fused kernels', () => {
  it('at eps = 0 (no 0 x log 0 outside labelled regions) and at exact ties of a region\'s maximum (the first pixel takes the PP gradient)', async () => {
    const { batch, z } = scene(6, 'code');
    // Every pixel of a region gets its first pixel's logits: each pair's maximum is tied across the region.
    for (let r = 0; r + 1 < batch.regionStart.length; r++) {
      const first = batch.regionPixels[batch.regionStart[r]];
      for (let q = batch.regionStart[r] + 1; q < batch.regionStart[r + 1]; q++) z.data.copyWithin(batch.regionPixels[q] * C, first * C, first * C + C);
    }
    for (const eps of [0, 1e-8]) {
      const grad = regionLossGradRef(z.data, batch, 0.1, eps);
      const results: Float32Array[] = [];
      for (const fn of [regionLoss, regionLossUnfused]) {
        await tidy(async () => {
          const logits = Tensor.fromArray(z.data, z.shape);
          logits.requiresGrad = true;
          const out = fn(logits, batch, { tau: 0.1, eps });
          expect(Number.isFinite((await read(out.total))[0])).toBe(true);
          backward(out.total);
          results.push((await read(logits.grad!)) as Float32Array);
          logits.grad!.dispose();
        });
      }
      expectClose(results[0], grad, 1e-4, `fused gradient, eps ${eps}`);
      expectClose(results[1], results[0], 1e-4, `unfused vs fused gradient, eps ${eps}`);
    }
  });
});

describe('micro-batches', () => {
  it('the losses and gradients of per-image slices add up to the whole batch (both readings)', () => {
    for (const reading of ['code', 'text'] as const) {
      const { batch, z } = scene(4, reading);
      const whole = regionLossRef(z.data, batch, 0.1, 1e-8);
      const wholeGrad = regionLossGradRef(z.data, batch, 0.1, 1e-8);
      const half = batch.npix / 2;
      let total = 0;
      const grad = new Float64Array(wholeGrad.length);
      for (const [a, b] of [[0, half], [half, batch.npix]]) {
        const part = sliceRegionBatch(batch, a, b);
        const zs = z.data.subarray(a * C, b * C);
        total += regionLossRef(zs, part, 0.1, 1e-8).total;
        grad.set(regionLossGradRef(zs, part, 0.1, 1e-8), a * C);
      }
      expect(total).toBeCloseTo(whole.total, 10);
      expectClose(grad, wholeGrad, 1e-12);
    }
  });
  it('a cut through a region is refused', () => {
    const { batch } = scene(4, 'code');
    expect(() => sliceRegionBatch(batch, 0, 50)).toThrow(/straddles/);
  });
  it('the micro-batch halves until the forward fits, and fails when one image does not', () => {
    const tried: number[] = [];
    const limit = new BindingLimitError('too big');
    expect(chooseMicroBatch(8, (m) => { tried.push(m); if (m > 3) throw limit; }, (e) => e instanceof BindingLimitError)).toBe(2);
    expect(tried).toEqual([8, 4, 2]);
    expect(() => chooseMicroBatch(4, () => { throw limit; }, (e) => e instanceof BindingLimitError)).toThrow(/too big/);
    expect(() => chooseMicroBatch(4, () => { throw new Error('other'); }, (e) => e instanceof BindingLimitError)).toThrow(/other/);
  });
});

describe('region batch weights', () => {
  it("code reading: lambda / (1 + pixel count); text reading: per-region means", () => {
    // region 0: 3 px single-class; region 1: 1 px single-class; region 2: 2 px two classes.
    const keys = Int32Array.from([0, 0, 0, 1, 2, 2]);
    const masks = [1, 2, 5];
    const code = buildRegionBatch(keys, (k) => masks[k], 3, { reading: 'code' });
    expect(Array.from(code.pixelWeight)).toEqual([16 / 5, 16 / 5, 8 / 3].map(Math.fround));
    expect(Array.from(code.pairWeight)).toEqual([1 / 3, 1 / 3].map(Math.fround));
    const text = buildRegionBatch(keys, (k) => masks[k], 3, { reading: 'text' });
    expect(Array.from(text.pixelWeight)).toEqual([16 / (2 * 3), 16 / (2 * 1), 8 / (1 * 2)].map(Math.fround));
    expect(Array.from(text.pairWeight)).toEqual([1 / 2, 1 / 2].map(Math.fround));
    const noPP = buildRegionBatch(keys, (k) => masks[k], 3, { weights: { ce: 16, mp: 8, pp: 0 } });
    expect(noPP.pairRegion.length).toBe(0);
  });
});
