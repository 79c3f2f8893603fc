// The model's functional pieces the engine does not have: L2 normalisation, cosine similarity and
// a recorded broadcast. (Pooling, resize and dropout are the engine's ops, used as they are.)
import { record } from '../engine/autograd.js';
import { cosineClassifier } from '../engine/ops/cosine.js';
import { add, mul, rsqrt, square } from '../engine/ops/elementwise.js';
import { sum, sumTo } from '../engine/ops/reduce.js';
import { broadcastView, copyInto, fill } from '../engine/ops/shape.js';
import { Tensor } from '../engine/tensor.js';

/** x / sqrt(|x|^2 + eps) along the last axis (eps keeps zero vectors finite). */
export function l2Normalize(x: Tensor, eps = 1e-12): Tensor {
  const ss = sum(square(x), -1, true);
  return mul(x, rsqrt(add(ss, fill([1], eps))));
}

/** Raw cosine similarities <f/|f|, w_c/|w_c|> in [-1, 1]: features [..., D], class rows [C, D]. */
export function cosineSimilarity(features: Tensor, weight: Tensor): Tensor {
  return cosineClassifier(features, weight, 1);
}

/** `x` broadcast to `shape` as a new contiguous tensor (recorded: its gradient sums back). */
export function expandTo(x: Tensor, shape: readonly number[], into?: Tensor): Tensor {
  const v = broadcastView(x, shape);
  // `into`: a destination view of `shape` (a slice of concatBy), written in place.
  const out = into ? into.view(into.shape, into.strides, into.offset) : Tensor.empty(shape);
  copyInto(out, v);
  v.dispose();
  return record(out, 'expand', [x], (g) => [sumTo(g, x.shape)]);
}
