// Shared test helpers: the engine, GPU <-> reference comparison, finite differences.
import { beforeAll, beforeEach, expect } from 'vitest';
import { engine, initEngine } from '../src/engine/runtime.js';
import { hasSubgroup8 } from '../src/engine/variants.js';
import { Tensor } from '../src/engine/tensor.js';
import { read } from '../src/engine/io.js';
import { backward } from '../src/engine/backward.js';
import { nd, randomNd, type Nd } from '../src/kernels/cpu/nd.js';

/** One engine per test process (vitest runs files in one fork, without isolation). */
export function useEngine(): void {
  beforeAll(async () => {
    await initEngine();
  });
}

/**
 * Why a kernel variant cannot run on this adapter, naming what it lacks (null when it can). The
 * 8-lane subgroup kernels need the 'subgroups' feature with a subgroup size range of exactly
 * [8, 8], and are off under ALSEG_PORTABLE (engine/variants.ts).
 */
export function variantUnavailable(variant: 'portable' | 'subgroup8'): string | null {
  if (variant === 'portable') return null;
  const t = engine().tuning;
  return hasSubgroup8(t) ? null : `variant subgroup8 skipped: it needs 8-lane subgroups (${t.reason})`;
}

/**
 * Skips every test of the enclosing describe whose variant cannot run here, printing the reason once
 * (and as each skipped test's note), instead of failing for a feature the adapter does not have.
 */
export function skipUnlessAvailable(variant: 'portable' | 'subgroup8'): void {
  let said = false;
  beforeEach((ctx) => {
    const why = variantUnavailable(variant);
    if (!why) return;
    if (!said) console.warn(why);
    said = true;
    ctx.skip(why);
  });
}

export function toGpu(x: Nd, requiresGrad = false): Tensor {
  const t = Tensor.fromArray(x.data, x.shape);
  t.requiresGrad = requiresGrad;
  return t;
}

export async function toNd(t: Tensor): Promise<Nd> {
  return nd(t.shape, await read(t));
}

/**
 * Norm-wise relative error: max|a - e| / max(max|e|, floor). The bound each test states is on this
 * quantity; float32 rounding gives ~1e-7 per operation, accumulations more.
 */
export function relError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-6): number {
  expect(actual.length).toBe(expected.length);
  let num = 0;
  let den = floor;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= num)) num = Number.isNaN(d) ? Infinity : Math.max(num, d);
    den = Math.max(den, Math.abs(expected[i]));
  }
  return num / den;
}

export function expectClose(actual: Nd | ArrayLike<number>, expected: Nd | ArrayLike<number>, bound: number, what = ''): void {
  const a = 'data' in actual ? actual.data : actual;
  const e = 'data' in expected ? expected.data : expected;
  if ('shape' in actual && 'shape' in expected) expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  const err = relError(a, e);
  expect(err, `${what} relative error ${err.toExponential(2)} > ${bound}`).toBeLessThanOrEqual(bound);
}

/**
 * Finite-difference check in float64 of an analytic gradient on the CPU reference: for random
 * weights r, d/dx sum(r * f(x)) by central differences vs grad(x, r).
 */
export function finiteDifferenceCheck(
  f: (inputs: Nd[]) => Nd,
  grad: (inputs: Nd[], g: Nd) => Nd[],
  inputs: Nd[],
  opts: { eps?: number; bound?: number; seed?: number } = {},
): void {
  const eps = opts.eps ?? 1e-6;
  const out = f(inputs);
  const r = randomNd(out.shape, opts.seed ?? 99);
  const analytic = grad(inputs, r);
  const objective = () => {
    const y = f(inputs);
    let s = 0;
    for (let i = 0; i < y.data.length; i++) s += y.data[i] * r.data[i];
    return s;
  };
  inputs.forEach((x, k) => {
    const numeric = nd(x.shape);
    for (let i = 0; i < x.data.length; i++) {
      const keep = x.data[i];
      x.data[i] = keep + eps;
      const up = objective();
      x.data[i] = keep - eps;
      const down = objective();
      x.data[i] = keep;
      numeric.data[i] = (up - down) / (2 * eps);
    }
    expectClose(analytic[k], numeric, opts.bound ?? 1e-6, `finite-difference gradient of input ${k}`);
  });
}

/**
 * GPU forward and backward vs the CPU reference: runs `gpuOp` on tensors requiring grad, seeds
 * backward with the same random weights as the reference, and compares outputs and gradients.
 */
export async function gpuVsReference(
  gpuOp: (ts: Tensor[]) => Tensor,
  f: (inputs: Nd[]) => Nd,
  grad: ((inputs: Nd[], g: Nd) => Nd[]) | null,
  inputs: Nd[],
  bounds: { forward: number; backward?: number },
): Promise<void> {
  const ts = inputs.map((x) => toGpu(x, grad !== null));
  const y = gpuOp(ts);
  const expected = f(inputs);
  expectClose(await toNd(y), expected, bounds.forward, 'forward');
  if (grad) {
    const r = randomNd(expected.shape, 7);
    const seed = toGpu(r);
    backward(y, seed);
    const ref = grad(inputs, r);
    for (let k = 0; k < ts.length; k++) {
      expect(ts[k].grad, `gradient of input ${k}`).not.toBeNull();
      expectClose(await toNd(ts[k].grad!), ref[k], bounds.backward ?? bounds.forward, `gradient of input ${k}`);
    }
    seed.dispose();
  }
  if (!y.isDisposed) y.dispose();
  for (const t of ts) t.dispose();
}
