// Batch norm over the channel axis of NHWC activations (kernels/batchnorm.wgsl.ts).
// Training mode normalises with the batch statistics (biased variance) and updates the running
// mean/var in place with `momentum` (running_var takes the unbiased variance, as PyTorch); eval
// mode normalises with the running statistics. Both are differentiable in x, gamma and beta, with
// or without a ReLU fused after them: the same bits as batchNorm then relu, in BN's own dispatches.
import {
  bnApplyLaunch,
  bnBackwardApplyLaunch,
  bnBackwardFinalizeLaunch,
  bnBackwardReduceLaunch,
  bnChunks,
  bnEvalStatsLaunch,
  bnFinalizeLaunch,
  bnStatsLaunch,
} from '../../kernels/batchnorm.wgsl.js';
import { record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { fmtShape, run } from './run.js';
import { dense } from './shape.js';

export interface BatchNormOptions {
  /** Batch statistics and running-stat update (true) or running statistics (false). */
  training: boolean;
  /** Weight of the new batch statistic in the running estimate (PyTorch's 0.1). */
  momentum?: number;
  eps?: number;
  /**
   * max(y, 0) fused into the apply pass; the backward takes ReLU's gradient inside BN's backward
   * kernels (reading the output), so the pair costs BN's dispatches alone, with relu's bits.
   */
  relu?: boolean;
}

/**
 * y = (x - mean) / sqrt(var + eps) * gamma + beta per channel of x [..., C] (NHWC: C last).
 * `runningMean` and `runningVar` ([C], contiguous) are updated in place in training mode.
 */
export function batchNorm(x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, options: BatchNormOptions): Tensor {
  const c = x.shape[x.rank - 1];
  const m = x.size / Math.max(1, c);
  for (const [name, t] of [
    ['gamma', gamma],
    ['beta', beta],
    ['runningMean', runningMean],
    ['runningVar', runningVar],
  ] as const) {
    if (t.rank !== 1 || t.shape[0] !== c || t.dtype !== 'f32') throw new Error(`batchNorm: ${name} must be f32 [${c}], got ${fmtShape(t.shape)}`);
  }
  for (const t of [runningMean, runningVar]) {
    if (!t.isContiguous || t.offset !== 0) throw new Error('batchNorm: running statistics must be contiguous tensors (updated in place)');
  }
  if (options.training && m < 2) throw new Error(`batchNorm: training needs more than one value per channel, got ${fmtShape(x.shape)}`);
  const eps = options.eps ?? 1e-5;
  const momentum = options.momentum ?? 0.1;
  const relu = options.relu === true;
  const xp = dense(x);
  const gp = dense(gamma);
  const bp = dense(beta);
  const stats = Tensor.empty([2, c]);
  if (options.training) {
    const chunks = bnChunks(m, c);
    const partial = Tensor.empty([chunks, 3, c]);
    run(bnStatsLaunch(m, c, chunks), { x: xp, out: partial });
    run(bnFinalizeLaunch(c, chunks, eps, momentum), { part: partial, stats, rmean: runningMean, rvar: runningVar });
    partial.dispose();
  } else {
    run(bnEvalStatsLaunch(c, eps), { rmean: runningMean, rvar: runningVar, stats });
  }
  const out = Tensor.empty(x.shape);
  run(bnApplyLaunch(m, c, relu), { x: xp, stats, gamma: gp, beta: bp, out });
  xp.dispose();
  gp.dispose();
  bp.dispose();
  // The statistics [2, C] = (mean, invstd) are the node's: the tape disposes them after the backward.
  // With the ReLU the output is saved too (as relu's own rule saves it): its sign is the mask.
  return record(
    out,
    `${options.training ? 'batch_norm' : 'batch_norm_eval'}${relu ? '_relu' : ''}`,
    [x, gamma, beta],
    (g) => {
      const [dx, dgamma, dbeta] = batchNormBackward(x, g, stats, gamma, options.training, relu ? out : null);
      return [x.requiresGrad ? dx : null, dgamma, dbeta];
    },
    relu ? [x, out] : [x],
    [stats],
  );
}

/**
 * [dx, dgamma, dbeta] given the saved statistics [2, C] = (mean, invstd); with the fused ReLU's
 * output `y`, of g taken where y > 0 only.
 */
function batchNormBackward(x: Tensor, g: Tensor, stats: Tensor, gamma: Tensor, training: boolean, y: Tensor | null): [Tensor, Tensor, Tensor] {
  const c = x.shape[x.rank - 1];
  const m = x.size / c;
  const xp = dense(x);
  const gp = dense(g);
  const gam = dense(gamma);
  const chunks = bnChunks(m, c);
  const partial = Tensor.empty([chunks, 2, c]);
  // y is the op's own contiguous output: no dense() copy needed.
  if (y) run(bnBackwardReduceLaunch(m, c, chunks, true), { x: xp, g: gp, y, stats, out: partial });
  else run(bnBackwardReduceLaunch(m, c, chunks), { x: xp, g: gp, stats, out: partial });
  const coef = Tensor.empty([3, c]);
  const dgamma = Tensor.empty([c]);
  const dbeta = Tensor.empty([c]);
  run(bnBackwardFinalizeLaunch(m, c, chunks, training), { part: partial, stats, gamma: gam, coef, dgammaOut: dgamma, dbetaOut: dbeta });
  const dx = Tensor.empty(x.shape);
  if (y) run(bnBackwardApplyLaunch(m, c, true), { x: xp, g: gp, y, stats, coef, out: dx });
  else run(bnBackwardApplyLaunch(m, c), { x: xp, g: gp, stats, coef, out: dx });
  for (const t of [xp, gp, gam, partial, coef]) t.dispose();
  return [dx, dgamma, dbeta];
}
