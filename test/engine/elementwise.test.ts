// Elementwise family (kernels/elementwise.wgsl.ts) against kernels/cpu/elementwise.ts.
import { describe, expect, it } from 'vitest';
import * as E from '../../src/engine/ops/elementwise.js';
import { permute, slice } from '../../src/engine/ops/shape.js';
import { BINARY_REF, UNARY_REF, binaryGradRef, binaryRef, unaryGradRef, unaryRef, whereGradRef, whereRef } from '../../src/kernels/cpu/elementwise.js';
import { nd, permuteRef, randomNd, type Nd } from '../../src/kernels/cpu/nd.js';
import { expectClose, finiteDifferenceCheck, gpuVsReference, toGpu, toNd, useEngine } from '../helpers.js';
import type { Tensor } from '../../src/engine/tensor.js';

useEngine();

// Odd sizes: primes and size-1 axes, never a multiple of the 256-wide workgroup.
const SHAPE = [3, 7, 13];

type UnaryCase = { op: string; fn: (x: Tensor) => Tensor; lo: number; hi: number; p?: [number, number] };
const UNARY: UnaryCase[] = [
  { op: 'neg', fn: E.neg, lo: -2, hi: 2 },
  { op: 'relu', fn: E.relu, lo: -2, hi: 2 },
  { op: 'exp', fn: E.exp, lo: -2, hi: 2 },
  { op: 'log', fn: E.log, lo: 0.2, hi: 3 },
  { op: 'sqrt', fn: E.sqrt, lo: 0.2, hi: 3 },
  { op: 'rsqrt', fn: E.rsqrt, lo: 0.2, hi: 3 },
  { op: 'abs', fn: E.abs, lo: -2, hi: 2 },
  { op: 'square', fn: E.square, lo: -2, hi: 2 },
  { op: 'sigmoid', fn: E.sigmoid, lo: -3, hi: 3 },
  { op: 'tanh', fn: E.tanh, lo: -2, hi: 2 },
  { op: 'pow_scalar', fn: (x) => E.powScalar(x, 3), lo: -2, hi: 2, p: [3, 0] },
  { op: 'pow_scalar', fn: (x) => E.powScalar(x, 1.5), lo: 0.2, hi: 2, p: [1.5, 0] },
  { op: 'clamp', fn: (x) => E.clamp(x, -0.5, 0.7), lo: -2, hi: 2, p: [-0.5, 0.7] },
  { op: 'affine', fn: (x) => E.affine(x, 2.5, -1), lo: -2, hi: 2, p: [2.5, -1] },
];

describe('unary ops', () => {
  for (const [i, c] of UNARY.entries()) {
    const [p0, p1] = c.p ?? [0, 0];
    const input = () => {
      // Keep away from kinks (relu, abs, clamp) so central differences are valid.
      const x = randomNd(SHAPE, 10 + i, c.lo, c.hi);
      for (let j = 0; j < x.data.length; j++) {
        for (const kink of [0, p0, p1]) if (Math.abs(x.data[j] - kink) < 1e-3) x.data[j] += 3e-3;
      }
      return x;
    };
    it(`${c.op}(${p0}, ${p1}): finite differences on the reference`, () => {
      finiteDifferenceCheck(([x]) => unaryRef(c.op, x, p0, p1), ([x], g) => [unaryGradRef(c.op, x, g, p0, p1)], [input()]);
    });
    it(`${c.op}(${p0}, ${p1}): GPU forward and backward vs reference (rel. error <= 1e-5)`, async () => {
      await gpuVsReference(([x]) => c.fn(x), ([x]) => unaryRef(c.op, x, p0, p1), ([x], g) => [unaryGradRef(c.op, x, g, p0, p1)], [input()], {
        forward: 1e-5,
      });
    });
  }
  it('covers every differentiable unary op of the reference', () => {
    expect(new Set(UNARY.map((c) => c.op))).toEqual(new Set(Object.keys(UNARY_REF)));
  });
});

type BinaryCase = { op: string; fn: (a: Tensor, b: Tensor) => Tensor; lo: number; hi: number };
const BINARY: BinaryCase[] = [
  { op: 'add', fn: E.add, lo: -2, hi: 2 },
  { op: 'sub', fn: E.sub, lo: -2, hi: 2 },
  { op: 'mul', fn: E.mul, lo: -2, hi: 2 },
  { op: 'div', fn: E.div, lo: 0.5, hi: 2 },
  { op: 'pow', fn: E.pow, lo: 0.5, hi: 2 },
  { op: 'maximum', fn: E.maximum, lo: -2, hi: 2 },
  { op: 'minimum', fn: E.minimum, lo: -2, hi: 2 },
];
// [a shape, b shape]: same shape, broadcast of a row, a column, a scalar, and a lower rank.
const BROADCASTS: [number[], number[]][] = [
  [[5, 11], [5, 11]],
  [[5, 11], [1, 11]],
  [[5, 1], [5, 11]],
  [[3, 5, 11], [1]],
  [[11], [3, 5, 11]],
];

describe('binary ops with broadcasting', () => {
  for (const [i, c] of BINARY.entries()) {
    for (const [sa, sb] of BROADCASTS) {
      const inputs = () => [randomNd(sa, 100 + i, c.lo, c.hi), randomNd(sb, 200 + i, c.lo, c.hi)];
      it(`${c.op} [${sa}] x [${sb}]: finite differences on the reference`, () => {
        finiteDifferenceCheck(([a, b]) => binaryRef(c.op, a, b), ([a, b], g) => binaryGradRef(c.op, a, b, g), inputs());
      });
      it(`${c.op} [${sa}] x [${sb}]: GPU vs reference (rel. error <= 1e-5)`, async () => {
        await gpuVsReference(([a, b]) => c.fn(a, b), ([a, b]) => binaryRef(c.op, a, b), ([a, b], g) => binaryGradRef(c.op, a, b, g), inputs(), {
          forward: 1e-5,
        });
      });
    }
  }
  it('comparisons give 1/0 masks', async () => {
    const a = nd([2, 3], [1, 2, 3, 4, 5, 6]);
    const b = nd([3], [2, 2, 7]);
    for (const [op, fn] of [
      ['gt', E.gt],
      ['lt', E.lt],
      ['ge', E.ge],
      ['eq', E.eq],
    ] as const) {
      expectClose(await toNd(fn(toGpu(a), toGpu(b))), binaryRef(op, a, b), 0, op);
    }
    expect(Object.keys(BINARY_REF)).toContain('eq');
  });
});

describe('where', () => {
  const c = () => {
    const x = randomNd([4, 9], 5);
    for (let i = 0; i < x.data.length; i++) x.data[i] = x.data[i] > 0 ? 1 : 0;
    return x;
  };
  it('finite differences on the reference', () => {
    const cond = c();
    finiteDifferenceCheck(([a, b]) => whereRef(cond, a, b), ([a, b], g) => whereGradRef(cond, a, b, g), [randomNd([4, 9], 1), randomNd([9], 2)]);
  });
  it('GPU vs reference with broadcasting (rel. error <= 1e-7, float32 rounding of the inputs)', async () => {
    const cond = c();
    const ct = toGpu(cond);
    await gpuVsReference(([a, b]) => E.where(ct, a, b), ([a, b]) => whereRef(cond, a, b), ([a, b], g) => whereGradRef(cond, a, b, g), [randomNd([4, 9], 1), randomNd([9], 2)], {
      forward: 1e-7,
    });
    ct.dispose();
  });
});

describe('gradient table', () => {
  it('every primitive with a rule in GRADIENTS has the finite-difference and GPU checks above, and no other has', () => {
    const ruled = Object.entries(E.GRADIENTS)
      .filter(([, rule]) => rule !== null)
      .map(([op]) => op);
    const checked = [...UNARY.map((c) => c.op), ...BINARY.map((c) => c.op), 'where'];
    expect(new Set(ruled)).toEqual(new Set(checked));
  });
});

describe('strided inputs', () => {
  it('add of a transposed view and a slice needs no copy and matches the reference', async () => {
    const a: Nd = randomNd([7, 5], 1);
    const b: Nd = randomNd([5, 9], 2);
    const ta = toGpu(a);
    const tb = toGpu(b);
    const at = permute(ta, [1, 0]); // [5, 7]
    const bs = slice(tb, 1, 1, 8); // [5, 7]
    const y = E.add(at, bs);
    const bsRef = nd([5, 7]);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 7; j++) bsRef.data[i * 7 + j] = b.data[i * 9 + j + 1];
    expectClose(await toNd(y), binaryRef('add', permuteRef(a, [1, 0]), bsRef), 1e-6);
    for (const t of [ta, tb, at, bs, y]) t.dispose();
  });
});
