// Dropout with a seeded, counter-based mask (kernels/dropout.wgsl.ts): the mask is a function of
// (seed, counter + element index), so backward regenerates it instead of storing it, and the same
// seed gives the same mask on every run and adapter.
import { dropoutLaunch } from '../../kernels/dropout.wgsl.js';
import { record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { run } from './run.js';
import { dense } from './shape.js';

/**
 * A mask stream: (seed, position). Plain data, so a checkpoint can store and restore it exactly; a
 * Generator (engine/random.ts) is one too.
 */
export interface DropoutRng {
  seed: number;
  /** The counter of the next draw's first element. */
  position: number;
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1 - p), drawing the mask from
 * `rng` at its position, which then advances by x.size (mod 2^32, as a Generator's). With
 * training false, or p = 0, the identity, and the stream does not move.
 */
export function dropout(x: Tensor, p: number, rng: DropoutRng, training = true): Tensor {
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return record(x.view(x.shape, x.strides, x.offset), 'dropout_identity', [x], (g) => [g.view(g.shape, g.strides, g.offset)]);
  const { seed, position: counter } = rng;
  rng.position = (counter + x.size) >>> 0;
  const apply = (t: Tensor): Tensor => {
    const tp = dense(t);
    const out = Tensor.empty(t.shape);
    run(dropoutLaunch(t.size, p, seed, counter), { x: tp, out });
    tp.dispose();
    return out;
  };
  return record(apply(x), 'dropout', [x], (g) => [apply(g)]);
}
