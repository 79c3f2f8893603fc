// Dropout with a seeded, counter-based mask (kernels/dropout.wgsl.ts): the mask is a function of
// (seed, counter + element index), so backward regenerates it instead of storing it, and the same
// seed gives the same mask on every run and adapter.
import { dropoutLaunch } from '../../kernels/dropout.wgsl.js';
import { record } from '../autograd.js';
import type { Generator } from '../random.js';
import { Tensor } from '../tensor.js';
import { run } from './run.js';
import { dense } from './shape.js';

export interface DropoutStream {
  seed: number;
  /** First counter of this draw; a Generator advances its position by x.size per call. */
  counter: number;
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1 - p). `rng` is a Generator
 * (its position advances by x.size) or an explicit {seed, counter}. With training false, identity.
 */
export function dropout(x: Tensor, p: number, rng: Generator | DropoutStream, training = true): Tensor {
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return record(x.view(x.shape, x.strides, x.offset), 'dropout_identity', [x], (g) => [g.view(g.shape, g.strides, g.offset)]);
  let seed: number;
  let counter: number;
  if ('position' in rng) {
    seed = rng.seed;
    counter = rng.position;
    rng.position = counter + x.size;
  } else {
    ({ seed, counter } = rng);
  }
  const apply = (t: Tensor): Tensor => {
    const tp = dense(t);
    const out = Tensor.empty(t.shape);
    run(dropoutLaunch(t.size, p, seed, counter), { x: tp, out });
    tp.dispose();
    return out;
  };
  return record(apply(x), 'dropout', [x], (g) => [apply(g)]);
}
