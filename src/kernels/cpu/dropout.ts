// CPU reference of dropout (kernels/dropout.wgsl.ts): the same PCG counter-based mask.
import { keysOf, randomBits, toUnit } from '../random.wgsl.js';
import { nd, type Nd } from './nd.js';

export function dropoutMaskRef(n: number, p: number, seed: number, counter: number): Float64Array {
  const [k0, k1] = keysOf(seed);
  const scale = p < 1 ? 1 / (1 - p) : 0;
  return Float64Array.from({ length: n }, (_, i) => (toUnit(randomBits(k0, k1, (counter + i) >>> 0)) >= p ? scale : 0));
}

export function dropoutRef(x: Nd, p: number, seed: number, counter: number): Nd {
  const mask = dropoutMaskRef(x.data.length, p, seed, counter);
  return nd(x.shape, Array.from(x.data, (v, i) => v * mask[i]));
}
