// Dropout (kernels/dropout.wgsl.ts) against kernels/cpu/dropout.ts: same mask bits, same scale.
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/engine/backward.js';
import { dropout } from '../../src/engine/ops/dropout.js';
import { Generator } from '../../src/engine/random.js';
import { dropoutMaskRef, dropoutRef } from '../../src/kernels/cpu/dropout.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { expectClose, gpuVsReference, toGpu, toNd, useEngine } from '../helpers.js';

useEngine();

describe('dropout', () => {
  it('forward and backward match the reference mask (p = 0.3, seed 5, counter 17)', async () => {
    const mask = dropoutMaskRef(3 * 5 * 7 * 6, 0.3, 5, 17);
    await gpuVsReference(
      ([x]) => dropout(x, 0.3, { seed: 5, position: 17 }),
      ([x]) => dropoutRef(x, 0.3, 5, 17),
      ([x], g) => [{ shape: x.shape, data: g.data.map((v, i) => v * mask[i]) }],
      [randomNd([3, 5, 7, 6], 1)],
      { forward: 1e-6 },
    );
    // Known answer (the PCG stream computed outside this code base, see test/engine/random.test.ts):
    // seed 5 from counter 17, element i is kept when (bits >> 8) / 2^24 >= 0.3.
    const y = await toNd(dropout(toGpu({ shape: [32], data: new Float64Array(32).fill(0.7) }), 0.3, { seed: 5, position: 17 }));
    expect(Array.from(y.data, (v) => (v === 0 ? '0' : '1')).join('')).toBe('10111011001110001111000010110010');
    expect(Array.from(y.data).every((v) => v === 0 || Math.abs(v - 1) < 1e-6)).toBe(true);
    const kept = mask.filter((m) => m > 0).length / mask.length;
    expect(kept).toBeGreaterThan(0.6);
    expect(kept).toBeLessThan(0.8);
  });
  it('a Generator advances, so two calls draw different masks; the same seed repeats them', async () => {
    const x = toGpu(randomNd([4, 33], 2, 1, 2));
    const draw = async (seed: number) => {
      const gen = new Generator(seed);
      const a = await toNd(dropout(x, 0.5, gen));
      const b = await toNd(dropout(x, 0.5, gen));
      return [a, b];
    };
    const [a1, b1] = await draw(9);
    const [a2, b2] = await draw(9);
    expectClose(a1, a2, 0);
    expectClose(b1, b2, 0);
    expect(Array.from(a1.data).some((v, i) => v !== b1.data[i])).toBe(true);
  });
  it('a plain stream advances by x.size modulo 2^32, the identity leaves it where it was', () => {
    const x = toGpu(randomNd([3, 4], 4));
    const rng = { seed: 3, position: 2 ** 32 - 5 };
    dropout(x, 0.5, rng).dispose();
    expect(rng.position).toBe(7);
    dropout(x, 0.5, rng, false).dispose();
    dropout(x, 0, rng).dispose();
    expect(rng.position).toBe(7);
    x.dispose();
  });
  it('eval mode and p = 0 are the identity; gradient flows through', async () => {
    const xr = randomNd([2, 3, 3, 4], 3);
    const g = randomNd([2, 3, 3, 4], 4);
    // The identity, bit for bit: the float32 values uploaded.
    const [x32, g32] = [xr, g].map((t) => Float32Array.from(t.data));
    for (const [p, training] of [
      [0.4, false],
      [0, true],
    ] as const) {
      const x = toGpu(xr, true);
      const y = dropout(x, p, { seed: 1, position: 0 }, training);
      expectClose(await toNd(y), x32, 0, `p ${p}, training ${training}: output`);
      backward(y, toGpu(g));
      expectClose(await toNd(x.grad!), g32, 0, `p ${p}, training ${training}: gradient`);
    }
  });
});
