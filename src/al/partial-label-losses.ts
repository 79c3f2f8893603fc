// Stage 1 with a partial-label baseline (the infimum or the RC loss, the paper's Fig. 12(a)) in
// place of the merged positive and prototypical pixel terms: the fused kernels of
// kernels/partial-label-loss.wgsl.ts as one autograd op, on the tables of al/region-batch.ts
// (built without pairs). Call it inside `tidy`: the tables live until the scope ends.
import { noGrad, record } from '../engine/autograd.js';
import { add } from '../engine/ops/elementwise.js';
import { sum } from '../engine/ops/reduce.js';
import { run } from '../engine/ops/run.js';
import { dense, zeros } from '../engine/ops/shape.js';
import { Tensor } from '../engine/tensor.js';
import { partialLabelGradLaunch, partialLabelPixelsLaunch, type PartialLabelLoss } from '../kernels/partial-label-loss.wgsl.js';
import { checkLogits, type RegionLoss, type RegionLossOptions } from './losses.js';
import type { RegionBatch } from './region-batch.js';

/**
 * The baseline's stage-1 loss: `ce` the single-class regions' cross-entropy (lambda_CE), `mp` the
 * baseline's term on multi-class regions (lambda_MP), `pp` zero. RC's weights are re-estimated from
 * the logits of this very step, as constants.
 */
export function partialLabelLoss(logits: Tensor, b: RegionBatch, loss: PartialLabelLoss, options: RegionLossOptions = {}): RegionLoss {
  checkLogits(logits, b);
  if (b.pairRegion.length > 0) throw new Error(`the ${loss} loss replaces the prototypical pixel term: build its tables with PP weight 0 (got ${b.pairRegion.length} pairs)`);
  const tau = options.tau ?? 0.1;
  const eps = options.eps ?? 1e-8;
  const C = b.classes;
  const z = dense(logits);
  const regionOf = Tensor.fromArray(b.regionOf, [b.npix], 'i32');
  const labelMask = Tensor.fromArray(b.labelMask, [b.labelMask.length], 'u32');
  const pixelWeight = Tensor.fromArray(b.pixelWeight, [b.pixelWeight.length]);
  const lse = Tensor.empty([b.npix]);
  const cePix = Tensor.empty([b.npix]);
  const partialPix = Tensor.empty([b.npix]);
  run(partialLabelPixelsLaunch(b.npix, C, tau, eps, loss), { z, region_of: regionOf, label_mask: labelMask, pixel_weight: pixelWeight, lse, ce: cePix, partial: partialPix });
  const [ce, partial, total] = noGrad(() => {
    const ce = sum(cePix);
    const partial = sum(partialPix);
    return [ce, partial, add(ce, partial)];
  });
  // What the gradient kernel reads is the node's: the tape disposes it after the backward.
  record(total, `${loss}_loss`, [logits], (g) => {
    const dz = Tensor.empty(z.shape);
    run(partialLabelGradLaunch(b.npix, C, tau, eps, loss), { z, lse, region_of: regionOf, label_mask: labelMask, pixel_weight: pixelWeight, grad_out: g, dz });
    return [dz];
  }, [], [z, lse, regionOf, labelMask, pixelWeight]);
  return { total, ce, mp: partial, pp: zeros([]) };
}
