// Memory: pooled buffers, tidy scopes, dispose errors, and a training loop that allocates nothing
// once its buffers have settled (after its second step).
import { describe, expect, it } from 'vitest';
import { noGrad, record } from '../../src/engine/autograd.js';
import { backward } from '../../src/engine/backward.js';
import { DisposedError } from '../../src/engine/errors.js';
import { memory, read } from '../../src/engine/io.js';
import { add, mul, relu, square, sub } from '../../src/engine/ops/elementwise.js';
import { matmul } from '../../src/engine/ops/matmul.js';
import { maxPool2d } from '../../src/engine/ops/pool.js';
import { mean, sum } from '../../src/engine/ops/reduce.js';
import { logSoftmax } from '../../src/engine/ops/softmax.js';
import { AdamW } from '../../src/engine/optim.js';
import { Generator } from '../../src/engine/random.js';
import { sync } from '../../src/engine/runtime.js';
import { Tensor, tidy } from '../../src/engine/tensor.js';
import { useEngine } from '../helpers.js';

useEngine();

describe('memory', () => {
  it('a training loop of identical steps allocates nothing after step 1 and keeps bytes in use flat', async () => {
    const gen = new Generator(5);
    const w1 = gen.normal([13, 17], 0, 0.3).keep();
    const w2 = gen.normal([17, 5], 0, 0.3).keep();
    const x = gen.uniform([11, 13]).keep();
    const y = gen.uniform([11, 5]).keep();
    for (const w of [w1, w2]) w.requiresGrad = true;
    const opt = new AdamW([{ name: 'all', params: [w1, w2], lr: 1e-2 }]);
    const step = async () => {
      const loss = tidy(() => {
        const h = relu(matmul(x, w1));
        const out = logSoftmax(matmul(h, w2), 1);
        const l = mean(square(sub(out, y)));
        backward(l);
        opt.step();
        opt.zeroGrad();
        return l;
      });
      const v = (await read(loss))[0];
      loss.dispose();
      await sync();
      return v;
    };
    // The first steps may take larger free buffers left by earlier tests in this process (the pool
    // serves a request with a buffer up to twice its size), so the next can still create the few
    // those took. The loop must settle within a few steps (a step that creates nothing), and from
    // then on the steps reuse the same buffers.
    const losses = [await step()];
    let created = memory().buffersCreated;
    let settled = false;
    for (let i = 0; i < 5 && !settled; i++) {
      losses.push(await step());
      settled = memory().buffersCreated === created;
      created = memory().buffersCreated;
    }
    expect(settled).toBe(true);
    const after1 = memory();
    for (let i = 0; i < 6; i++) losses.push(await step());
    const after = memory();
    expect(after.buffersCreated).toBe(after1.buffersCreated);
    expect(after.bytesAllocated).toBe(after1.bytesAllocated);
    expect(after.bytesInUse).toBe(after1.bytesInUse);
    expect(after.liveTensors).toBe(after1.liveTensors);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    opt.dispose();
    for (const t of [w1, w2, x, y]) t.dispose();
  });

  it('a node owns what it saved for its backward: freed after the backward, or with its output, or at once without a tape', async () => {
    const x = Tensor.fromArray(Array.from({ length: 2 * 5 * 5 * 3 }, (_, i) => Math.sin(i)), [2, 5, 5, 3]);
    x.requiresGrad = true;
    const base = memory().liveTensors;
    // max pool owns its argmax: the output and the argmax are live until the backward.
    const y = maxPool2d(x);
    expect(memory().liveTensors).toBe(base + 2);
    const loss = sum(y);
    backward(loss);
    loss.dispose();
    x.grad!.dispose();
    x.grad = null;
    expect(memory().liveTensors).toBe(base);
    // A node that never runs: its argmax goes when its output is disposed.
    maxPool2d(x).dispose();
    expect(memory().liveTensors).toBe(base);
    // No tape, no node: the argmax is freed at once.
    x.requiresGrad = false;
    const z = maxPool2d(x);
    expect(memory().liveTensors).toBe(base + 1);
    z.dispose();
    x.dispose();
  });

  it('a backward whose rule throws still releases what every node saved and owned', () => {
    const x = Tensor.fromArray(Array.from({ length: 2 * 5 * 5 * 3 }, (_, i) => Math.cos(i)), [2, 5, 5, 3]);
    x.requiresGrad = true;
    const base = memory().liveTensors;
    const pooled = maxPool2d(x); // owns its argmax
    const h = relu(pooled); // saves pooled and h
    const failing = record(noGrad(() => mul(h, h)), 'failing', [h], () => {
      add(h, h); // a temporary the rule's tidy frees
      throw new Error('rule failed');
    });
    const loss = sum(failing);
    expect(() => backward(loss)).toThrow(/rule failed/);
    // Only the root is left: the activations, the argmax and the gradients so far are released.
    expect(memory().liveTensors).toBe(base + 1);
    expect(pooled.isDisposed && h.isDisposed).toBe(true);
    expect(x.grad).toBeNull();
    loss.dispose();
    expect(memory().liveTensors).toBe(base);
    x.dispose();
  });

  it('tidy disposes what it does not return; memory() counts live tensors', async () => {
    const before = memory();
    const kept = tidy(() => {
      const a = Tensor.fromArray([1, 2, 3], [3]);
      const b = add(a, a);
      mul(b, b);
      return { b };
    }).b;
    expect(memory().liveTensors).toBe(before.liveTensors + 1);
    expect(Array.from(await read(kept))).toEqual([2, 4, 6]);
    kept.dispose();
    expect(memory().liveTensors).toBe(before.liveTensors);
    expect(memory().bytesInUse).toBe(before.bytesInUse);
  });

  it('disposing twice or using a disposed tensor is a clear error', async () => {
    const t = Tensor.fromArray([1, 2], [2]);
    t.dispose();
    expect(() => t.dispose()).toThrow(DisposedError);
    expect(() => t.dispose()).toThrow(/disposed twice/);
    expect(() => add(t, t)).toThrow(/was disposed/);
    await expect(read(t)).rejects.toThrow(/was disposed/);
  });

  it('views keep storage alive until the last one is disposed', async () => {
    const before = memory().bytesInUse;
    const a = Tensor.fromArray([1, 2, 3, 4], [2, 2]);
    const v = a.view([4], [1], 0);
    a.dispose();
    expect(Array.from(await read(v))).toEqual([1, 2, 3, 4]);
    v.dispose();
    expect(memory().bytesInUse).toBe(before);
  });
});

describe('buffer pool', () => {
  it('in conservative mode a released buffer waits for the next submit before reuse', async () => {
    const { BufferPool } = await import('../../src/engine/pool.js');
    const { engine } = await import('../../src/engine/runtime.js');
    const pool = new BufferPool(engine().device, false);
    const a = pool.acquire(64);
    pool.release(a);
    const b = pool.acquire(64);
    expect(b).not.toBe(a);
    pool.afterSubmit();
    expect(pool.acquire(64)).toBe(a);
    expect(pool.acquire(48)).not.toBe(b); // sizes are exact (after rounding to 16 bytes)
    const eager = new BufferPool(engine().device, true);
    const c = eager.acquire(64);
    eager.release(c);
    expect(eager.acquire(64)).toBe(c);
    expect(eager.memory().buffersCreated).toBe(1);
  });
});
