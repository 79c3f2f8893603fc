// Counter-based RNG (kernels/random.wgsl.ts): known-answer vectors, bit-exact against the CPU
// reference, deterministic.
import { describe, expect, it } from 'vitest';
import { read } from '../../src/engine/io.js';
import { Generator } from '../../src/engine/random.js';
import { normalRef, randomBitsRef, uniformRef } from '../../src/kernels/cpu/random.js';
import { keysOf, pcgHash } from '../../src/kernels/random.wgsl.js';
import { expectClose, useEngine } from '../helpers.js';

useEngine();

// Known answers, computed outside this code base by a separate implementation (Python integers
// masked to 32 bits) of the PCG hash as Jarzynski & Olano give it (state = v * 747796405 +
// 2891336453; word = ((state >> ((state >> 28) + 4)) ^ state) * 277803737; (word >> 22) ^ word)
// and of the stream the kernel documents: keys pcg(seed), pcg(seed ^ 0x9e3779b9); value i =
// pcg(pcg(counter + i + key0) ^ key1); uniform (bits >> 8) / 2^24; normal by Box-Muller from
// counters 2c and 2c + 1. The CPU reference imports the kernel file's own helpers, so without these
// a mistake made in both (a constant, a shift) would pass.
const KNOWN = {
  pcg0to3: [129708002, 2831084092, 2055130248, 2131687100],
  keys1234: [1819980427, 4210546198],
  bits1234: [3971634255, 1314995974, 1446818220, 2138978444, 155374028, 2525821507, 1662984159, 1357261936],
  /** Seed 1234 from counter 2^32 - 2: the counter wraps to 0 after two values. */
  bits1234Wrap: [23891349, 29480934, 3971634255, 1314995974],
  /** Seed 7, uniform in [-2, 3). */
  uniform7: [2.923311471939087, 0.6583325862884521, -1.231179654598236, 0.0065274834632873535, 1.8750073313713074, -1.4406923651695251],
  /** Seed 8, normal with mean 1 and standard deviation 2. */
  normal8: [4.011990856896402, 1.4484346337230547, 0.17308403865741595, 1.359164562663441, -0.2837236755982624, 1.3068531636918135],
};

describe('random', () => {
  it('gives the known-answer vectors, on the GPU and in the CPU reference', async () => {
    expect([0, 1, 2, 3].map(pcgHash)).toEqual(KNOWN.pcg0to3);
    expect(keysOf(1234)).toEqual(KNOWN.keys1234);
    expect(Array.from(randomBitsRef(1234, 0, 8))).toEqual(KNOWN.bits1234);
    expect(Array.from(await read(new Generator(1234).bits([8])))).toEqual(KNOWN.bits1234);
    const wrapping = new Generator(1234);
    wrapping.position = 2 ** 32 - 2;
    expect(Array.from(await read(wrapping.bits([4])))).toEqual(KNOWN.bits1234Wrap);
    expectClose(await read(new Generator(7).uniform([6], -2, 3)), KNOWN.uniform7, 1e-6);
    expectClose(await read(new Generator(8).normal([6], 1, 2)), KNOWN.normal8, 1e-5);
  });
  it('bits match the CPU reference exactly, and the counter advances', async () => {
    const g = new Generator(1234);
    const a = await read(g.bits([1001]));
    const b = await read(g.bits([77]));
    expect(Array.from(a)).toEqual(Array.from(randomBitsRef(1234, 0, 1001)));
    expect(Array.from(b)).toEqual(Array.from(randomBitsRef(1234, 1001, 77)));
  });
  it('uniform and normal match the reference; same seed gives the same values', async () => {
    const u1 = await read(new Generator(7).uniform([999], -2, 3));
    const u2 = await read(new Generator(7).uniform([999], -2, 3));
    expect(Array.from(u1)).toEqual(Array.from(u2));
    expectClose(u1, uniformRef(7, 0, 999, -2, 3), 1e-6);
    expect(Math.min(...u1)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u1)).toBeLessThan(3);
    const n = await read(new Generator(8).normal([4001], 1, 2));
    expectClose(n, normalRef(8, 0, 4001, 1, 2), 1e-5);
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    const sd = Math.sqrt(n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean - 1)).toBeLessThan(0.1);
    expect(Math.abs(sd - 2)).toBeLessThan(0.1);
  });
  it('different seeds differ', async () => {
    const a = await read(new Generator(1).bits([64]));
    const b = await read(new Generator(2).bits([64]));
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });
});
