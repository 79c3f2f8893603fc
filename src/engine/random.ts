// Seeded random tensors on the GPU. A Generator owns a seed and a counter; each draw takes the next
// `n` counters of its stream, so the same seed and the same sequence of draws give the same bits.
import { randomLaunch } from '../kernels/random.wgsl.js';
import { run } from './ops/run.js';
import { Tensor, sizeOf, type Shape } from './tensor.js';

export class Generator {
  private counter = 0;
  constructor(readonly seed: number) {}

  /** Uniform in [lo, hi). */
  uniform(shape: Shape, lo = 0, hi = 1): Tensor {
    return this.draw('uniform', shape, hi - lo, lo, 1);
  }
  /** Normal with the given mean and standard deviation. */
  normal(shape: Shape, mean = 0, std = 1): Tensor {
    return this.draw('normal', shape, std, mean, 2);
  }
  /** Raw u32 bits. */
  bits(shape: Shape): Tensor {
    return this.draw('bits', shape, 1, 0, 1);
  }

  private draw(kind: 'uniform' | 'normal' | 'bits', shape: Shape, scale: number, shift: number, perValue: number): Tensor {
    const n = sizeOf(shape);
    const out = Tensor.empty(shape, kind === 'bits' ? 'u32' : 'f32');
    if (n > 0) run(randomLaunch(kind, n, this.seed, this.counter, scale, shift), { out });
    this.counter = (this.counter + n * perValue) >>> 0;
    return out;
  }

  /** Position in the stream (for checkpoints). */
  get position(): number {
    return this.counter;
  }
  set position(c: number) {
    this.counter = c >>> 0;
  }
}
