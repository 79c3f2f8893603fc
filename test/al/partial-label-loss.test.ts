// The partial-label baselines of Fig. 12(a) (infimum, RC): the float64 reference against finite
// differences and against hand-computed values, the fused kernels against the reference, on odd-sized
// irregular regions (single-class, multi-class, unlabelled, the undefined class), at exact ties of
// the candidates' probabilities and where probabilities underflow in f32.
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/engine/backward.js';
import { read } from '../../src/engine/io.js';
import { Tensor, tidy } from '../../src/engine/tensor.js';
import { readingLossOptions, regionLoss } from '../../src/al/losses.js';
import { partialLabelLoss } from '../../src/al/partial-label-losses.js';
import { buildRegionBatch, sliceRegionBatch, type LossReading, type RegionBatch } from '../../src/al/region-batch.js';
import { PARTIAL_LABEL_LOSSES, type PartialLabelLoss } from '../../src/kernels/partial-label-loss.wgsl.js';
import { partialLabelLossGradRef, partialLabelLossRef } from '../../src/kernels/cpu/partial-label-loss.js';
import { regionLossGradRef, regionLossRef } from '../../src/kernels/cpu/region-loss.js';
import { expectClose, useEngine } from '../helpers.js';
import { C, regionScene } from './region-scene.js';

useEngine();

/** The baselines' tables: lambda_CE and lambda_MP as the method's, no prototypical pixel pairs. */
const NO_PP = { ce: 16, mp: 8, pp: 0 };
const scene = (seed: number, reading: LossReading) => regionScene(seed, reading, NO_PP);

/** The fused op's terms and gradient for logits `z` (float64 in, f32 on the GPU). */
async function fused(z: { data: ArrayLike<number>; shape: number[] }, batch: RegionBatch, loss: PartialLabelLoss | 'mp-pp', options: { tau: number; eps: number }) {
  return tidy(async () => {
    const logits = Tensor.fromArray(Float32Array.from(z.data), z.shape);
    logits.requiresGrad = true;
    const out = loss === 'mp-pp' ? regionLoss(logits, batch, options) : partialLabelLoss(logits, batch, loss, options);
    const [total, ce, partial, pp] = await Promise.all([out.total, out.ce, out.mp, out.pp].map(async (t) => (await read(t))[0]));
    backward(out.total);
    const grad = (await read(logits.grad!)) as Float32Array;
    logits.grad!.dispose();
    return { total, ce, partial, pp, grad };
  });
}

for (const loss of PARTIAL_LABEL_LOSSES) {
  for (const reading of ['code', 'text'] as const) {
    describe(`${loss} loss (${reading} reading)`, () => {
      for (const eps of [1e-8, 0]) it(`reference gradient matches finite differences of the loss with its weights held (float64, eps ${eps}, rel. error <= 1e-6)`, () => {
        const { batch, z } = scene(2, reading);
        const tau = 0.5; // a milder temperature keeps central differences accurate
        const at = Float64Array.from(z.data);
        const f = partialLabelLossRef(z.data, batch, loss, tau, eps);
        expect(f.ce).toBeGreaterThan(0);
        expect(f.partial).toBeGreaterThan(0);
        const analytic = partialLabelLossGradRef(z.data, batch, loss, tau, eps);
        const h = 1e-6;
        const numeric = new Float64Array(z.data.length);
        for (let i = 0; i < z.data.length; i++) {
          const keep = z.data[i];
          z.data[i] = keep + h;
          const up = partialLabelLossRef(z.data, batch, loss, tau, eps, at).total;
          z.data[i] = keep - h;
          const down = partialLabelLossRef(z.data, batch, loss, tau, eps, at).total;
          z.data[i] = keep;
          numeric[i] = (up - down) / (2 * h);
        }
        expectClose(analytic, numeric, 1e-6);
      });

      it('fused kernels: loss terms and gradient match the reference (rel. error <= 1e-4); pixels outside labelled regions get no gradient', async () => {
        const { batch, z } = scene(3, reading);
        const options = readingLossOptions(reading, 0.1);
        const zf = Float64Array.from(Float32Array.from(z.data)); // the reference sees the f32 logits the GPU sees
        const ref = partialLabelLossRef(zf, batch, loss, options.tau, options.eps);
        const got = await fused(z, batch, loss, options);
        expectClose([got.total, got.ce, got.partial, got.pp], [ref.total, ref.ce, ref.partial, 0], 1e-5, 'loss terms');
        expectClose(got.grad, partialLabelLossGradRef(zf, batch, loss, options.tau, options.eps), 1e-4, 'gradient');
        let outside = 0;
        for (let i = 0; i < batch.npix; i++) {
          if (batch.regionOf[i] >= 0) continue;
          outside++;
          for (let c = 0; c < C; c++) expect(got.grad[i * C + c]).toBe(0);
        }
        expect(outside).toBeGreaterThan(0);
      });

      it('single-class regions: the cross-entropy term and its gradient are the method\'s CE', async () => {
        const { batch, z } = scene(3, reading);
        const options = readingLossOptions(reading, 0.1);
        // The same scene's single-class regions only: every other pixel leaves its region.
        const single = buildRegionBatch(
          Int32Array.from(batch.regionOf, (r) => (r >= 0 && (batch.labelMask[r] & (batch.labelMask[r] - 1)) === 0 ? r : -1)),
          (r) => batch.labelMask[r],
          C,
          { reading, weights: NO_PP },
        );
        expect(single.ceRegions).toBeGreaterThan(0);
        expect(single.mpRegions).toBe(0);
        const ref = regionLossRef(z.data, single, options.tau, options.eps);
        const mine = partialLabelLossRef(z.data, single, loss, options.tau, options.eps);
        expect(mine.ce).toBeCloseTo(ref.ce, 12);
        expect(mine.partial).toBe(0);
        expectClose(partialLabelLossGradRef(z.data, single, loss, options.tau, options.eps), regionLossGradRef(z.data, single, options.tau, options.eps), 1e-12);
        const [got, method] = [await fused(z, single, loss, options), await fused(z, single, 'mp-pp', options)];
        expect(got.total).toBe(method.total);
        expectClose(got.grad, method.grad, 1e-6, 'gradient');
      });

      it('the micro-batches of a batch add up to it', () => {
        const { batch, z } = scene(4, reading);
        const whole = partialLabelLossRef(z.data, batch, loss, 0.1, 1e-8);
        const wholeGrad = partialLabelLossGradRef(z.data, batch, loss, 0.1, 1e-8);
        const half = batch.npix / 2;
        let total = 0;
        const grad = new Float64Array(wholeGrad.length);
        for (const [a, b] of [[0, half], [half, batch.npix]]) {
          const part = sliceRegionBatch(batch, a, b);
          const zs = z.data.subarray(a * C, b * C);
          total += partialLabelLossRef(zs, part, loss, 0.1, 1e-8).total;
          grad.set(partialLabelLossGradRef(zs, part, loss, 0.1, 1e-8), a * C);
        }
        expect(total).toBeCloseTo(whole.total, 10);
        expectClose(grad, wholeGrad, 1e-12);
      });
    });
  }

  for (const reading of ['code', 'text'] as const) it(`${loss}: finite and equal to the float64 reference where p underflows in f32 (${reading} reading, rel. error <= 1e-4)`, async () => {
    const { batch, z: z0 } = scene(5, reading);
    const z = { data: Float64Array.from(z0.data, (v) => v * 30), shape: z0.shape }; // z / tau spans +-300
    const options = readingLossOptions(reading, 0.1);
    const zf = Float64Array.from(Float32Array.from(z.data));
    const ref = partialLabelLossRef(zf, batch, loss, options.tau, options.eps);
    expect(ref.partial).toBeGreaterThan(reading === 'text' ? 100 : 8); // some candidate's probability is below f32's range (code: -log(0 + 1e-8) = 18.4 at most a pixel)
    const got = await fused(z, batch, loss, options);
    expectClose([got.total, got.ce, got.partial], [ref.total, ref.ce, ref.partial], 1e-4, 'loss terms');
    expectClose(got.grad, partialLabelLossGradRef(zf, batch, loss, options.tau, options.eps), 1e-4, 'gradient');
  });

  it(`${loss}: tables with prototypical pixel pairs are refused`, () => {
    const { batch } = regionScene(3, 'code');
    expect(batch.pairRegion.length).toBeGreaterThan(0);
    expect(() => tidy(() => partialLabelLoss(Tensor.fromArray(new Float32Array(batch.npix * C), [batch.npix, C]), batch, loss))).toThrow(/PP weight 0/);
  });
}

describe('the definitions on a hand-computed pixel', () => {
  // One pixel of a region labelled {class 0, the undefined class 2} among 3 outputs, weight 1.
  const batch = buildRegionBatch(Int32Array.from([0, -1]), () => 0b101, 3, { reading: 'code', weights: { ce: 1, mp: 1, pp: 0 } });
  const z = [0.3, 0.9, -0.2, 0, 0, 0];
  const e = z.slice(0, 3).map((v) => Math.exp(v / 0.5));
  const p = e.map((v) => v / (e[0] + e[1] + e[2]));
  const w = 1 / 2; // code reading: lambda_MP / (1 + one multi-class pixel)
  it('infimum: -log of the largest candidate probability; RC: candidates\' CE weighted by p_c / sum_S p', () => {
    expect(partialLabelLossRef(z, batch, 'infimum', 0.5, 0).total).toBeCloseTo(w * -Math.log(Math.max(p[0], p[2])), 14);
    const s = p[0] + p[2];
    expect(partialLabelLossRef(z, batch, 'rc', 0.5, 0).total).toBeCloseTo(w * -((p[0] / s) * Math.log(p[0]) + (p[2] / s) * Math.log(p[2])), 14);
    // The undefined class is a candidate like any other: the infimum takes it when it is the most probable.
    const undefinedFirst = [0.3, 0.9, 0.5, 0, 0, 0];
    const e2 = undefinedFirst.slice(0, 3).map((v) => Math.exp(v / 0.5));
    expect(partialLabelLossRef(undefinedFirst, batch, 'infimum', 0.5, 0).total).toBeCloseTo(w * -Math.log(e2[2] / (e2[0] + e2[1] + e2[2])), 14);
  });
  it('at eps = 0 the RC gradient (weights re-estimated at every step) is the merged positive gradient; the loss values differ', () => {
    const { batch: scenes, z: zs } = scene(6, 'code');
    expectClose(partialLabelLossGradRef(zs.data, scenes, 'rc', 0.1, 0), regionLossGradRef(zs.data, scenes, 0.1, 0), 1e-12);
    expect(Math.abs(partialLabelLossRef(zs.data, scenes, 'rc', 0.1, 0).total - regionLossRef(zs.data, scenes, 0.1, 0).total)).toBeGreaterThan(1e-3);
    expectClose(partialLabelLossGradRef(z, batch, 'rc', 0.5, 0), regionLossGradRef(z, batch, 0.5, 0), 1e-12);
  });
  it('the fused kernels agree: RC and the method without PP give the same gradient at eps = 0 (rel. error <= 1e-5)', async () => {
    const { batch: scenes, z: zs } = scene(6, 'text');
    const [rc, mp] = [await fused(zs, scenes, 'rc', { tau: 0.1, eps: 0 }), await fused(zs, scenes, 'mp-pp', { tau: 0.1, eps: 0 })];
    expectClose(rc.grad, mp.grad, 1e-5, 'gradient');
    expect(rc.partial).toBeGreaterThan(mp.partial);
  });
});

describe('exact ties of the candidates\' probabilities', () => {
  it('infimum: the first candidate class takes the gradient, in the kernel as in the reference; RC is smooth there', async () => {
    const { batch, z } = scene(7, 'code');
    // In every multi-class pixel the first two candidates tie at the largest candidate logit.
    let tied = 0;
    for (let i = 0; i < batch.npix; i++) {
      const r = batch.regionOf[i];
      if (r < 0 || (batch.labelMask[r] & (batch.labelMask[r] - 1)) === 0) continue;
      const [a, b, ...rest] = Array.from({ length: C }, (_, c) => c).filter((c) => batch.labelMask[r] & (1 << c));
      z.data[i * C + a] = 0.97;
      z.data[i * C + b] = 0.97;
      for (const c of rest) z.data[i * C + c] = -0.5;
      tied++;
    }
    expect(tied).toBeGreaterThan(10);
    for (const loss of PARTIAL_LABEL_LOSSES) {
      for (const eps of [1e-8, 0]) {
        const zf = Float64Array.from(Float32Array.from(z.data));
        const got = await fused(z, batch, loss, { tau: 0.1, eps });
        const ref = partialLabelLossRef(zf, batch, loss, 0.1, eps);
        expect(Number.isFinite(got.total)).toBe(true);
        expectClose([got.total], [ref.total], 1e-5, `${loss} loss, eps ${eps}`);
        expectClose(got.grad, partialLabelLossGradRef(zf, batch, loss, 0.1, eps), 1e-4, `${loss} gradient, eps ${eps}`);
      }
    }
    // The infimum's gradient at a tie moves only the first class's logit up (the second's goes down with the rest).
    const grad = partialLabelLossGradRef(z.data, batch, 'infimum', 0.1, 0);
    const i = Array.from(batch.regionOf).findIndex((r) => r >= 0 && (batch.labelMask[r] & (batch.labelMask[r] - 1)) !== 0);
    const [a, b] = Array.from({ length: C }, (_, c) => c).filter((c) => batch.labelMask[batch.regionOf[i]] & (1 << c));
    expect(grad[i * C + a]).toBeLessThan(0);
    expect(grad[i * C + b]).toBeGreaterThan(0);
  });
});
