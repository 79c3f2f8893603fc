// Inference frees activations as it goes: a Sequential run without a tape keeps only a few
// activations alive at once, gives the same output as the recorded run, and leaks nothing.
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/engine/autograd.js';
import { read } from '../../src/engine/io.js';
import { Generator } from '../../src/engine/random.js';
import { liveTensorCount, tidy } from '../../src/engine/tensor.js';
import { memory } from '../../src/engine/io.js';
import { engine, sync } from '../../src/engine/runtime.js';
import { Conv2d, ReLU } from '../../src/model/layers.js';
import { Sequential } from '../../src/model/module.js';
import { measurePeakBytes } from '../../src/model/train-step.js';
import { createModel } from '../../src/model/presets.js';
import { relError, useEngine } from '../helpers.js';

useEngine();

describe('inference memory', () => {
  it('a Sequential without a tape holds a few activations, not all of them, and computes the same', async () => {
    const gen = new Generator(5);
    const layers = [];
    for (let i = 0; i < 8; i++) layers.push(new Conv2d({ cin: 8, cout: 8, k: 3, stride: 1, padding: 1 }, gen), new ReLU());
    const net = new Sequential(...layers);
    const x = gen.normal([1, 33, 31, 8]).keep();
    const activation = 33 * 31 * 8 * 4;
    const recorded = await tidy(async () => read(net.forward(x)));
    const before = liveTensorCount();
    let out: Float32Array | null = null;
    const { peakBytes, baseBytes } = await measurePeakBytes(async () => {
      out = await tidy(async () => read(noGrad(() => net.forward(x))));
    });
    expect(liveTensorCount()).toBe(before);
    expect(relError(out!, recorded)).toBe(0);
    // 16 layers write 16 activations; freed as it goes, at most ~3 are alive together.
    expect(peakBytes - baseBytes).toBeLessThanOrEqual(4 * activation);
  });

  it('the model in eval mode gives the same logits as before and frees its activations', async () => {
    const model = createModel('tiny', { numClasses: 5, seed: 3 });
    const gen = new Generator(6);
    const x = gen.normal([1, 45, 37, 3]).keep();
    const eager = await tidy(async () => {
      model.eval();
      const out = model.forward(x); // grad enabled: the path that keeps everything
      model.train();
      return read(out.logits);
    });
    const before = liveTensorCount();
    const pred = await tidy(async () => read(model.predict(x).logits));
    expect(liveTensorCount()).toBe(before);
    expect(relError(pred, eager)).toBe(0);
  });

  it('images of many sizes: the pool does not grow with the number of distinct sizes', async () => {
    const model = createModel('tiny', { numClasses: 5, seed: 3 });
    const gen = new Generator(7);
    const predict = async (h: number, w: number) => {
      await tidy(async () => read(model.predict(gen.normal([1, h, w, 3])).logits));
      await sync();
    };
    // From an empty free list, so the first image's footprint is all its own.
    await sync();
    engine().pool.trim();
    const start = memory().bytesAllocated;
    await predict(97, 131);
    const largest = memory().bytesAllocated - start;
    // 24 other sizes (as a VOC-like set has), each smaller than the first.
    for (let i = 1; i <= 24; i++) await predict(97 - i, 131 - 2 * i);
    const grown = memory().bytesAllocated - start - largest;
    console.log(`pool: ${(largest / 2 ** 20).toFixed(2)} MiB for the first image, grown by ${(grown / 2 ** 20).toFixed(2)} MiB over 24 other sizes`);
    // Pooled by exact size, each size left its own activations behind (measured: grown by 12x the
    // first image's footprint); by size class, a few buffers of classes the first did not need.
    expect(grown).toBeLessThanOrEqual(0.5 * largest);
    model.dispose();
  });
});
