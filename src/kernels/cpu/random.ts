// CPU reference of the counter-based generator (kernels/random.wgsl.ts), bit for bit.
import { keysOf, randomBits, toUnit } from '../random.wgsl.js';

export function randomBitsRef(seed: number, counter: number, n: number): Uint32Array {
  const [k0, k1] = keysOf(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = randomBits(k0, k1, (counter + i) >>> 0);
  return out;
}

export function uniformRef(seed: number, counter: number, n: number, lo = 0, hi = 1): Float64Array {
  const bits = randomBitsRef(seed, counter, n);
  return Float64Array.from(bits, (b) => toUnit(b) * (hi - lo) + lo);
}

export function normalRef(seed: number, counter: number, n: number, mean = 0, std = 1): Float64Array {
  const [k0, k1] = keysOf(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = (counter + i) >>> 0;
    const u1 = toUnit(randomBits(k0, k1, (2 * c) >>> 0));
    const u2 = toUnit(randomBits(k0, k1, (2 * c + 1) >>> 0));
    out[i] = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2) * std + mean;
  }
  return out;
}
