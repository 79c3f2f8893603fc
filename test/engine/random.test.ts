// Counter-based RNG (kernels/random.wgsl.ts): bit-exact against the CPU reference, deterministic.
import { describe, expect, it } from 'vitest';
import { read } from '../../src/engine/io.js';
import { Generator } from '../../src/engine/random.js';
import { normalRef, randomBitsRef, uniformRef } from '../../src/kernels/cpu/random.js';
import { expectClose, useEngine } from '../helpers.js';

useEngine();

describe('random', () => {
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
