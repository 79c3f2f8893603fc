// Fused cosine classifier head (kernels/cosine-head.wgsl.ts): logits = <f/|f|, w/|w|> / tau over
// the channels of NHWC features, for class weights w [K, C]. Forward keeps the per-pixel and
// per-class inverse norms for the backward; no normalised copy of f or w is materialised.
import {
  cosineChunks,
  cosineFeatureGradLaunch,
  cosineForwardLaunch,
  cosineWeightGradFinishLaunch,
  cosineWeightGradPartialLaunch,
} from '../../kernels/cosine-head.wgsl.js';
import { record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { fmtShape, run } from './run.js';
import { dense } from './shape.js';

/** features [..., C] (NHWC), weights [K, C] -> logits [..., K]. */
export function cosineClassifier(features: Tensor, weights: Tensor, tau = 0.1): Tensor {
  const c = features.shape[features.rank - 1];
  if (weights.rank !== 2 || weights.shape[1] !== c) throw new Error(`cosineClassifier: weights must be [K, ${c}], got ${fmtShape(weights.shape)}`);
  if (!(tau > 0)) throw new Error(`cosineClassifier: tau must be positive, got ${tau}`);
  const k = weights.shape[0];
  const m = features.size / c;
  const fp = dense(features);
  const wp = dense(weights);
  const logits = Tensor.empty([...features.shape.slice(0, -1), k]);
  const rf = Tensor.empty([m]);
  const rw = Tensor.empty([k]);
  run(cosineForwardLaunch(m, k, c, tau), { f: fp, w: wp, logits, rf, rw });
  fp.dispose();
  wp.dispose();
  // The inverse norms are the node's: the tape disposes them after the backward.
  return record(
    logits,
    'cosine_classifier',
    [features, weights],
    (g) => {
      const gp = dense(g);
      const f = dense(features);
      const w = dense(weights);
      let df: Tensor | null = null;
      let dw: Tensor | null = null;
      if (features.requiresGrad) {
        df = Tensor.empty(features.shape);
        run(cosineFeatureGradLaunch(m, k, c, tau), { g: gp, logits, f, w, rf, rw, df });
      }
      if (weights.requiresGrad) {
        const chunks = cosineChunks(m, k, c);
        const partial = Tensor.empty([chunks, k, c + 1]);
        run(cosineWeightGradPartialLaunch(m, k, c, tau, chunks), { g: gp, logits, f, rf, part: partial });
        dw = Tensor.empty([k, c]);
        run(cosineWeightGradFinishLaunch(m, k, c, tau, chunks), { part: partial, w, rw, dw });
      }
      return [df, dw];
    },
    [features, weights, logits],
    [rf, rw],
  );
}
