// The tape: reverse topological order, a tensor used twice visited once, accumulation, noGrad,
// broadcasting gradients, and release of saved activations.
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/engine/autograd.js';
import { backward } from '../../src/engine/backward.js';
import { memory, read } from '../../src/engine/io.js';
import { add, exp, mul, relu, tanh } from '../../src/engine/ops/elementwise.js';
import { sum } from '../../src/engine/ops/reduce.js';
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

  it('keepSaved keeps intermediates alive for inspection', () => {
    const x = leaf([1, 2]);
    const h = tanh(x);
    backward(sum(h), undefined, { keepSaved: true });
    expect(h.isDisposed).toBe(false);
  });
});
