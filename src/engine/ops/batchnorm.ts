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
  type RowView,
} from '../../kernels/batchnorm.wgsl.js';
import { record } from '../autograd.js';
import { engine } from '../runtime.js';
import { Tensor } from '../tensor.js';
import { fmtShape, run, sameShape } from './run.js';
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
  /**
   * With `relu`: a view of x's shape (a channel slice of concatBy) the output is written into, in
   * place, and read there by the backward. Where its rows do not have one stride the output is a
   * new tensor instead, which the caller copies (Layer.forwardInto's contract).
   */
  into?: Tensor;
}

/**
 * t [..., C] as rows of C values (kernels/batchnorm.wgsl.ts RowView): null where its leading axes
 * do not collapse to one row stride or its channels are not adjacent.
 */
function rowView(t: Tensor): RowView | null {
  const c = t.shape[t.rank - 1];
  if (c > 1 && t.strides[t.rank - 1] !== 1) return null;
  const lead = t.shape.slice(0, -1).flatMap((d, k) => (d > 1 ? [k] : []));
  for (let j = 0; j + 1 < lead.length; j++) if (t.strides[lead[j]] !== t.strides[lead[j + 1]] * t.shape[lead[j + 1]]) return null;
  const stride = lead.length > 0 ? t.strides[lead[lead.length - 1]] : c;
  return stride >= c ? { stride, offset: t.offset } : null;
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
  if (options.into && (!options.relu || !sameShape(options.into.shape, x.shape) || options.into.dtype !== 'f32')) {
    throw new Error(`batchNorm: into (${fmtShape(options.into.shape)}) is for the fused ReLU, an f32 view of x's shape ${fmtShape(x.shape)}`);
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
  const into = options.into && rowView(options.into);
  const out = into ? options.into!.view(x.shape, options.into!.strides, options.into!.offset) : Tensor.empty(x.shape);
  run(bnApplyLaunch(m, c, relu, into || { stride: c, offset: 0 }, applyRows('forward')), { x: xp, stats, gamma: gp, beta: bp, out });
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
  // The fused ReLU's kernels read g and y (the op's output, maybe a slice of a concatenation) as
  // row views where they are: no copy of either.
  const gRows = y && rowView(g);
  const gp = gRows ? g : dense(g);
  const rows = y && { g: gRows || { stride: c, offset: 0 }, y: rowView(y)! };
  const gam = dense(gamma);
  const chunks = bnChunks(m, c);
  const partial = Tensor.empty([chunks, 2, c]);
  if (rows) run(bnBackwardReduceLaunch(m, c, chunks, rows), { x: xp, g: gp, y: y!, stats, out: partial });
  else run(bnBackwardReduceLaunch(m, c, chunks), { x: xp, g: gp, stats, out: partial });
  const coef = Tensor.empty([3, c]);
  const dgamma = Tensor.empty([c]);
  const dbeta = Tensor.empty([c]);
  run(bnBackwardFinalizeLaunch(m, c, chunks, training), { part: partial, stats, gamma: gam, coef, dgammaOut: dgamma, dbetaOut: dbeta });
  const dx = Tensor.empty(x.shape);
  if (rows) run(bnBackwardApplyLaunch(m, c, rows, applyRows('backward')), { x: xp, g: gp, y: y!, stats, coef, out: dx });
  else run(bnBackwardApplyLaunch(m, c, undefined, applyRows('backward')), { x: xp, g: gp, stats, coef, out: dx });
  for (const t of [xp, gam, partial, coef]) t.dispose();
  if (gp !== g) gp.dispose();
  return [dx, dgamma, dbeta];
}

/**
 * Rows per invocation of the elementwise passes: on a software adapter the per-channel parameters
 * are loaded once for several rows (batchnorm.wgsl.ts, applyBody); a GPU keeps one row each.
 * Measured on lavapipe, six layer shapes from tiny and r50, rows 1/4/8/16 alternating: forward 8
 * rows 1.5-2.7x one row, backward 16 rows 1.1-2.5x (8 rows there swung 0.7-1.9x).
 */
const APPLY_ROWS_SOFTWARE = { forward: 8, backward: 16 };
function applyRows(pass: 'forward' | 'backward'): number {
  return engine().summary.isSoftware ? APPLY_ROWS_SOFTWARE[pass] : 1;
}
