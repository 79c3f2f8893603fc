// A tiny conv net (conv-bn-relu-pool-conv, then dropout and the cosine head) trained with AdamW on
// random data: the loss falls, and a second run with the same seed repeats it to float tolerance.
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/engine/backward.js';
import { item } from '../../src/engine/io.js';
import { batchNorm } from '../../src/engine/ops/batchnorm.js';
import { conv2d } from '../../src/engine/ops/conv.js';
import { cosineClassifier } from '../../src/engine/ops/cosine.js';
import { dropout } from '../../src/engine/ops/dropout.js';
import { relu, square, sub } from '../../src/engine/ops/elementwise.js';
import { maxPool2d } from '../../src/engine/ops/pool.js';
import { mean } from '../../src/engine/ops/reduce.js';
import { resizeBilinear } from '../../src/engine/ops/resize.js';
import { ones, zeros } from '../../src/engine/ops/shape.js';
import { AdamW } from '../../src/engine/optim.js';
import { Generator } from '../../src/engine/random.js';
import { tidy, type Tensor } from '../../src/engine/tensor.js';
import { useEngine } from '../helpers.js';

useEngine();

async function train(seed: number, steps: number): Promise<number[]> {
  const gen = new Generator(seed);
  const param = (shape: number[], std: number) => {
    const t = gen.normal(shape, 0, std).keep();
    t.requiresGrad = true;
    return t;
  };
  const w1 = param([3, 3, 3, 8], 0.3);
  const b1 = param([8], 0.1);
  const gamma = ones([8]).keep();
  const beta = zeros([8]).keep();
  gamma.requiresGrad = true;
  beta.requiresGrad = true;
  const rm = zeros([8]).keep();
  const rv = ones([8]).keep();
  const w2 = param([1, 1, 8, 6], 0.3);
  const head = param([4, 6], 0.5);
  const params = [w1, b1, gamma, beta, w2, head];
  const x = gen.normal([2, 9, 10, 3]).keep();
  const target = gen.uniform([2, 5, 5, 4], -5, 5).keep();
  const opt = new AdamW([{ name: 'all', params, lr: 0.02 }]);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = tidy(() => {
      let h: Tensor = conv2d(x, w1, { padding: 1, bias: b1 });
      h = batchNorm(h, gamma, beta, rm, rv, { training: true });
      h = relu(h);
      h = maxPool2d(h); // 9x10 -> 5x5
      h = conv2d(h, w2, { dilation: 2 });
      h = dropout(h, 0.1, gen);
      h = resizeBilinear(h, [5, 5], true);
      const logits = cosineClassifier(h, head, 0.5);
      const l = mean(square(sub(logits, target)));
      backward(l);
      return l;
    });
    losses.push(await item(loss));
    loss.dispose();
    opt.step();
    opt.zeroGrad();
  }
  opt.dispose();
  for (const t of [...params, rm, rv, x, target]) t.dispose();
  return losses;
}

describe('tiny conv net', () => {
  it('loss decreases under AdamW and repeats exactly with the same seed', async () => {
    const a = await train(11, 8);
    const b = await train(11, 8);
    expect(a[a.length - 1]).toBeLessThan(a[0] * 0.9);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-6 * Math.abs(a[i]));
  });
});
