// The tape: reverse topological order, a tensor used twice visited once, accumulation, noGrad,
// broadcasting gradients, and release of saved activations.
import { describe, expect, it } from 'vitest';
import { noGrad, record, type GradNode } from '../../src/engine/autograd.js';
import { backward } from '../../src/engine/backward.js';
import { GradientRuleError } from '../../src/engine/errors.js';
import { memory, read } from '../../src/engine/io.js';
import { add, exp, mul, relu, tanh } from '../../src/engine/ops/elementwise.js';
import { sum } from '../../src/engine/ops/reduce.js';
import { fill } from '../../src/engine/ops/shape.js';
import { Tensor } from '../../src/engine/tensor.js';
import { expectClose, useEngine } from '../helpers.js';

useEngine();

function leaf(values: number[], shape = [values.length]): Tensor {
  const t = Tensor.fromArray(values, shape);
  t.requiresGrad = true;
  return t;
}

describe('autograd', () => {
  it('a diamond graph (x used twice) gets the summed gradient, each node visited once', async () => {
    // f = sum(exp(x) * tanh(x)); df/dx = exp(x) tanh(x) + exp(x) (1 - tanh^2 x)
    const xs = [-0.7, 0.1, 0.9];
    const x = leaf(xs);
    const e = exp(x);
    const t = tanh(x);
    backward(sum(mul(e, t)));
    const want = xs.map((v) => Math.exp(v) * Math.tanh(v) + Math.exp(v) * (1 - Math.tanh(v) ** 2));
    expectClose(await read(x.grad!), want, 1e-6);
  });

  it('gradients accumulate across backward calls until cleared', async () => {
    const x = leaf([1, 2]);
    backward(sum(mul(x, x)));
    backward(sum(mul(x, x)));
    expect(Array.from(await read(x.grad!))).toEqual([4, 8]);
  });

  it('broadcast operands get gradients of their own shape', async () => {
    const a = leaf([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = leaf([10, 20, 30], [3]);
    const c = leaf([7], [1]);
    backward(sum(mul(add(a, b), c)));
    expect(b.grad!.shape).toEqual([3]);
    expect(Array.from(await read(b.grad!))).toEqual([14, 14, 14]);
    expect(Array.from(await read(c.grad!))).toEqual([141]); // sum(a + b) = 21 + 2 * 60
  });

  it('noGrad records nothing', () => {
    const x = leaf([1, 2]);
    const y = noGrad(() => mul(x, x));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(() => backward(y)).toThrow(/does not require grad/);
  });

  it('releases saved activations as backward passes them', async () => {
    const x = leaf([0.5, -1, 2, 3]);
    const h1 = relu(mul(x, x));
    const h2 = tanh(h1);
    const loss = sum(mul(h2, h2));
    const live = memory().liveTensors;
    backward(loss);
    // h1 and h2 (saved by relu/tanh/mul) are gone; the root and the leaf's gradient remain.
    expect(h1.isDisposed).toBe(true);
    expect(h2.isDisposed).toBe(true);
    expect(loss.isDisposed).toBe(false);
    expect(memory().liveTensors).toBeLessThan(live);
    expect(x.grad).not.toBeNull();
    expect(() => backward(loss)).toThrow(/no recorded graph/);
  });

  it('a rule returning the wrong count, shape or dtype is refused, naming the op, the input and the shapes', () => {
    const x = leaf([1, 2, 3]);
    const y = leaf([4, 5, 6]);
    const cases: [string, GradNode['backward'], RegExp][] = [
      ['bad_count', () => [fill([3], 1)], /backward of bad_count: the rule returned 1 gradients for 2 inputs/],
      ['bad_shape', () => [fill([3], 1), fill([1, 3], 1)], /backward of bad_shape: input 1 is f32 \[3\] but the rule returned a f32 \[1, 3\] gradient/],
      ['bad_dtype', () => [fill([3], 1, 'i32'), null], /backward of bad_dtype: input 0 is f32 \[3\] but the rule returned a i32 \[3\] gradient/],
    ];
    for (const [name, rule, message] of cases) {
      const live = memory().liveTensors;
      const out = record(
        noGrad(() => mul(x, y)),
        name,
        [x, y],
        rule,
      );
      const loss = sum(out);
      expect(() => backward(loss)).toThrow(GradientRuleError);
      // Nothing reached the leaves, and nothing the failed walk made is left behind.
      expect(x.grad).toBeNull();
      expect(y.grad).toBeNull();
      loss.dispose();
      expect(memory().liveTensors).toBe(live);
      expect(() => {
        const l = sum(record(noGrad(() => mul(x, y)), name, [x, y], rule));
        try {
          backward(l);
        } finally {
          l.dispose();
        }
      }).toThrow(message);
    }
    // A seed must have the root's shape.
    const root = mul(x, y);
    expect(() => backward(root, fill([1], 1))).toThrow(/the seed is f32 \[1\] but Tensor#\d+\(f32\[3\]\) needs one of its own shape/);
    root.dispose();
    // The same graph with a correct rule passes.
    backward(sum(record(noGrad(() => mul(x, y)), 'good', [x, y], (g) => [mul(g, y), mul(g, x)])));
    expect(Array.from(x.grad!.shape)).toEqual([3]);
  });

  it('keepSaved keeps intermediates alive for inspection', () => {
    const x = leaf([1, 2]);
    const h = tanh(x);
    backward(sum(h), undefined, { keepSaved: true });
    expect(h.isDisposed).toBe(false);
  });
});
