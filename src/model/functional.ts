// The model's functional pieces beyond conv and BN: thin wrappers over the engine's fused ops
// (pool, resize, dropout, cosine classifier), L2 normalisation, and a recorded broadcast.
import { record } from '../engine/autograd.js';
import { cosineClassifier } from '../engine/ops/cosine.js';
import { dropout as dropoutOp } from '../engine/ops/dropout.js';
import { add, mul, rsqrt, square } from '../engine/ops/elementwise.js';
import { globalAvgPool as gap, maxPool2d as maxPool } from '../engine/ops/pool.js';
import { sum, sumTo } from '../engine/ops/reduce.js';
import { resizeBilinear as resize } from '../engine/ops/resize.js';
import { broadcastView, copyInto, fill } from '../engine/ops/shape.js';
import { Tensor } from '../engine/tensor.js';

/** Max pool over H and W of an NHWC tensor (padding never wins, as PyTorch). */
export function maxPool2d(x: Tensor, k: number, stride: number, padding: number): Tensor {
  return maxPool(x, { kernel: k, stride, padding });
}

/** Mean over H and W: [N, H, W, C] -> [N, 1, 1, C]. */
export function globalAvgPool(x: Tensor): Tensor {
  return gap(x);
}

/** Bilinear resize of an NHWC tensor to [h, w] (align_corners false by default, as the method). */
export function resizeBilinear(x: Tensor, h: number, w: number, alignCorners = false, into?: Tensor): Tensor {
  if (x.shape[1] === h && x.shape[2] === w) return x;
  return resize(x, [h, w], alignCorners, into);
}

/**
 * A dropout mask stream: (seed, position). Plain data, so a checkpoint can store and restore it
 * exactly (a Generator's seed is fixed at construction).
 */
export interface DropoutRng {
  seed: number;
  position: number;
}

/** Inverted dropout with a seeded mask: zeroes with probability p, scales the rest by 1/(1-p). */
export function dropout(x: Tensor, p: number, rng: DropoutRng): Tensor {
  const counter = rng.position;
  rng.position = (counter + x.size) >>> 0;
  return dropoutOp(x, p, { seed: rng.seed, counter }, true);
}

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
