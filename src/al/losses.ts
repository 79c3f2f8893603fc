// Stage-1 losses on the GPU: the fused kernels of kernels/region-loss.wgsl.ts as one autograd op,
// and the same loss composed from engine ops (the unfused reference the fused one is tested and
// benchmarked against). Both take logits at crop resolution as rows [..., classes] (NHWC) and the
// tables of al/region-batch.ts. Call them inside `tidy`: the tables live until the scope ends.
import { noGrad, record } from '../engine/autograd.js';
import { add, affine, log, mul, neg, exp } from '../engine/ops/elementwise.js';
import { gather, oneHot } from '../engine/ops/gather.js';
import { argmax, max, sum } from '../engine/ops/reduce.js';
import { run } from '../engine/ops/run.js';
import { concat, dense, fill, reshape, zeros } from '../engine/ops/shape.js';
import { logSoftmax } from '../engine/ops/softmax.js';
import { Tensor } from '../engine/tensor.js';
import { regionLossGradLaunch, regionLossPairsLaunch, regionLossPixelsLaunch } from '../kernels/region-loss.wgsl.js';
import type { LossReading, RegionBatch } from './region-batch.js';

export interface RegionLossOptions {
  /** Temperature of the softmax (0.1 in the paper). */
  tau?: number;
  /** Added inside every log (the authors' code uses 1e-8); 0 (the text reading) computes each
   * term as a log-probability, stably. */
  eps?: number;
}

/**
 * The loss options of a reading (docs/method.md differences 1-2; docs/method-readings.md): the code keeps
 * the authors' +1e-8 inside every log; the text's equations have none, so its terms are computed
 * as log-probabilities.
 */
export function readingLossOptions(reading: LossReading, tau: number): Required<RegionLossOptions> {
  return { tau, eps: reading === 'code' ? 1e-8 : 0 };
}

export interface RegionLoss {
  /** Weighted sum of the three terms; differentiable w.r.t. the logits. */
  total: Tensor;
  ce: Tensor;
  mp: Tensor;
  pp: Tensor;
}

function tables(b: RegionBatch) {
  return {
    regionOf: Tensor.fromArray(b.regionOf, [b.npix], 'i32'),
    labelMask: Tensor.fromArray(b.labelMask, [b.labelMask.length], 'u32'),
    pixelWeight: Tensor.fromArray(b.pixelWeight, [b.pixelWeight.length]),
    pairOffset: Tensor.fromArray(b.pairOffset, [b.pairOffset.length], 'i32'),
    pairRegion: Tensor.fromArray(b.pairRegion, [b.pairRegion.length], 'i32'),
    pairClass: Tensor.fromArray(b.pairClass, [b.pairClass.length], 'i32'),
    pairWeight: Tensor.fromArray(b.pairWeight, [b.pairWeight.length]),
    regionStart: Tensor.fromArray(b.regionStart, [b.regionStart.length], 'i32'),
    regionPixels: Tensor.fromArray(b.regionPixels, [b.regionPixels.length], 'i32'),
  };
}

export function checkLogits(logits: Tensor, b: RegionBatch): void {
  const C = logits.shape[logits.rank - 1];
  if (C !== b.classes || logits.size !== b.npix * C) {
    throw new Error(`region loss: logits [${logits.shape.join(', ')}] do not match a batch of ${b.npix} pixels x ${b.classes} classes`);
  }
}

/** The fused stage-1 loss (Eqs. 6, 7, 9 weighted as Eq. 10). */
export function regionLoss(logits: Tensor, b: RegionBatch, options: RegionLossOptions = {}): RegionLoss {
  checkLogits(logits, b);
  const tau = options.tau ?? 0.1;
  const eps = options.eps ?? 1e-8;
  const C = b.classes;
  const P = b.pairRegion.length;
  const z = dense(logits);
  const t = tables(b);
  const lse = Tensor.empty([b.npix]);
  const cePix = Tensor.empty([b.npix]);
  const mpPix = Tensor.empty([b.npix]);
  const pairArg = Tensor.empty([Math.max(P, 1)], 'i32');
  const ppPair = P > 0 ? Tensor.empty([P]) : zeros([1]);
  run(regionLossPixelsLaunch(b.npix, C, tau, eps), { z, region_of: t.regionOf, label_mask: t.labelMask, pixel_weight: t.pixelWeight, lse, ce: cePix, mp: mpPix });
  if (P > 0) {
    run(regionLossPairsLaunch(b.npix, C, P, tau, eps), {
      z,
      lse,
      pair_region: t.pairRegion,
      pair_class: t.pairClass,
      pair_weight: t.pairWeight,
      region_start: t.regionStart,
      region_pixels: t.regionPixels,
      pair_arg: pairArg,
      pp: ppPair,
    });
  }
  const [ce, mp, pp, total] = noGrad(() => {
    const ce = sum(cePix);
    const mp = sum(mpPix);
    const pp = sum(ppPair);
    return [ce, mp, pp, add(add(ce, mp), pp)];
  });
  // What the gradient kernel reads is the node's: the tape disposes it after the backward.
  const owned = [z, lse, t.regionOf, t.labelMask, t.pixelWeight, t.pairOffset, t.pairWeight, pairArg];
  record(total, 'region_loss', [logits], (g) => {
    const dz = Tensor.empty(z.shape);
    run(regionLossGradLaunch(b.npix, C, tau, eps), {
      z,
      lse,
      region_of: t.regionOf,
      label_mask: t.labelMask,
      pixel_weight: t.pixelWeight,
      pair_offset: t.pairOffset,
      pair_weight: t.pairWeight,
      pair_arg: pairArg,
      grad_out: g,
      dz,
    });
    return [dz.shape.length === logits.shape.length ? dz : reshape(dz, logits.shape)];
  }, [], owned);
  return { total, ce, mp, pp };
}

/**
 * The same loss composed from engine ops, in log space as the fused kernels are: log-softmax, a
 * per-pixel label mask as an additive -1e30 offset, a max-shifted log-sum-exp over the label set,
 * sums, and a gather of each pair's log-probabilities over its region's pixels (padded to the
 * largest region) whose first maximum (argmax, then a one-hot selection) takes the PP term, so its
 * gradient goes to that one pixel as in the fused kernel. Pixels outside labelled regions get every
 * class (s = 1) and weight 0, so eps = 0 gives no 0 x log 0.
 */
export function regionLossUnfused(logits: Tensor, b: RegionBatch, options: RegionLossOptions = {}): RegionLoss {
  checkLogits(logits, b);
  const tau = options.tau ?? 0.1;
  const eps = options.eps ?? 1e-8;
  const C = b.classes;
  const OFF = -1e30;
  const negLog = (logS: Tensor) => (eps === 0 ? neg(logS) : neg(log(affine(exp(logS), 1, eps))));
  const rows = reshape(logits, [b.npix, C]);
  const lp = logSoftmax(affine(rows, 1 / tau, 0), 1);
  // Host-built per-pixel label offsets and weights (data preparation, not part of the loss's math).
  const offset = new Float32Array(b.npix * C);
  const wCe = new Float32Array(b.npix);
  const wMp = new Float32Array(b.npix);
  for (let i = 0; i < b.npix; i++) {
    const r = b.regionOf[i];
    if (r < 0) continue;
    for (let c = 0; c < C; c++) if (!(b.labelMask[r] & (1 << c))) offset[i * C + c] = OFF;
    if ((b.labelMask[r] & (b.labelMask[r] - 1)) === 0) wCe[i] = b.pixelWeight[r];
    else wMp[i] = b.pixelWeight[r];
  }
  const masked = add(lp, Tensor.fromArray(offset, [b.npix, C]));
  const shift = noGrad(() => max(masked, 1, true));
  const logS = add(reshape(shift, [b.npix]), log(sum(exp(add(masked, neg(shift))), 1)));
  const l = negLog(logS);
  const ce = sum(mul(l, Tensor.fromArray(wCe, [b.npix])));
  const mp = sum(mul(l, Tensor.fromArray(wMp, [b.npix])));
  const P = b.pairRegion.length;
  let pp: Tensor;
  if (P === 0) {
    pp = zeros([]);
  } else {
    let longest = 0;
    for (let r = 0; r + 1 < b.regionStart.length; r++) longest = Math.max(longest, b.regionStart[r + 1] - b.regionStart[r]);
    const pad = b.npix * C; // index of an appended OFF: never a maximum, since every region has a pixel
    const idx = new Int32Array(P * longest).fill(pad);
    for (let j = 0; j < P; j++) {
      const r = b.pairRegion[j];
      for (let q = b.regionStart[r]; q < b.regionStart[r + 1]; q++) idx[j * longest + q - b.regionStart[r]] = b.regionPixels[q] * C + b.pairClass[j];
    }
    const flat = concat([reshape(lp, [b.npix * C]), fill([1], OFF)], 0);
    const picked = reshape(gather(flat, 0, Tensor.fromArray(idx, [idx.length], 'i32'), { unique: true }), [P, longest]);
    const first = noGrad(() => oneHot(argmax(picked, 1), longest));
    const best = sum(mul(picked, first), 1);
    pp = sum(mul(negLog(best), Tensor.fromArray(b.pairWeight, [P])));
  }
  return { total: add(add(ce, mp), pp), ce, mp, pp };
}
