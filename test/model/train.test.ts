// Training behaviour of the tiny DeepLabv3+: it overfits one fixed synthetic batch, the same seed
// gives bit-identical losses, a training loop allocates nothing after its first step, and the
// cross-entropy with temperature matches a plain computation with ignored pixels.
import { describe, expect, it } from 'vitest';
import { argmax } from '../../src/engine/ops/reduce.js';
import { read, memory } from '../../src/engine/io.js';
import { AdamW } from '../../src/engine/optim.js';
import { sync } from '../../src/engine/runtime.js';
import { Tensor, tidy } from '../../src/engine/tensor.js';
import { createModel } from '../../src/model/presets.js';
import { LossLog, batchLoss, crossEntropyWithTemperature, predictAtInput, segmentationLoss, trainStep } from '../../src/model/train-step.js';
import { useEngine } from '../helpers.js';
import { shapesBatch } from './synthetic.js';

useEngine();

async function pixelAccuracy(model: ReturnType<typeof createModel>, images: Tensor, labels: Int32Array): Promise<number> {
  const pred = tidy(() => argmax(predictAtInput(model, images, { features: false }).logits, -1));
  const p = await read(pred);
  pred.dispose();
  let ok = 0;
  for (let i = 0; i < labels.length; i++) if (p[i] === labels[i]) ok++;
  return ok / labels.length;
}

describe('training', () => {
  it('tiny overfits one fixed batch of synthetic shapes to > 95% pixel accuracy (eval mode) within 150 steps', async () => {
    const b = shapesBatch(2, 64, 64, 7);
    const images = Tensor.fromArray(b.images, [b.n, b.h, b.w, 3]).keep();
    const labels = Tensor.fromArray(b.labels, [b.n, b.h, b.w], 'i32').keep();
    const model = createModel('tiny', { numClasses: 4, seed: 11 });
    const opt = new AdamW(model.paramGroups(2e-3));
    const loss = segmentationLoss(labels, { tau: 0.1 });
    const log = new LossLog();
    let acc = 0;
    let steps = 0;
    let first: ReturnType<typeof memory> | null = null;
    while (steps < 150) {
      log.push(trainStep(model, opt, b.n, batchLoss(model, images, loss)));
      steps++;
      if (steps % 5 === 0) {
        const losses = await log.drain();
        acc = await pixelAccuracy(model, images, b.labels);
        console.log(`step ${steps}: loss ${losses[losses.length - 1].toFixed(4)}, eval pixel accuracy ${(100 * acc).toFixed(1)}%`);
        first ??= memory();
        if (acc > 0.95) break;
      }
    }
    expect(acc).toBeGreaterThan(0.95);
    expect(steps).toBeGreaterThan(5);
    // Static shapes: after the first round of steps and evaluation nothing new is allocated.
    await sync();
    const last = memory();
    expect(last.liveTensors).toBe(first!.liveTensors);
    expect(last.buffersCreated).toBe(first!.buffersCreated);
    expect(last.bytesInUse).toBe(first!.bytesInUse);
    log.dispose();
    opt.dispose();
    model.dispose();
    images.dispose();
    labels.dispose();
  });

  it('the same seed gives identical losses; another seed does not', async () => {
    const b = shapesBatch(2, 32, 32, 3);
    const images = Tensor.fromArray(b.images, [b.n, b.h, b.w, 3]).keep();
    const labels = Tensor.fromArray(b.labels, [b.n, b.h, b.w], 'i32').keep();
    const run = async (seed: number) => {
      const model = createModel('tiny', { numClasses: 4, seed });
      const opt = new AdamW(model.paramGroups(1e-3));
      const log = new LossLog();
      for (let i = 0; i < 4; i++) log.push(trainStep(model, opt, b.n, batchLoss(model, images, segmentationLoss(labels))));
      const losses = await log.drain();
      opt.dispose();
      model.dispose();
      return losses;
    };
    const a = await run(5);
    const again = await run(5);
    const other = await run(6);
    expect(again).toEqual(a);
    expect(other).not.toEqual(a);
    images.dispose();
    labels.dispose();
  });

  it('cross-entropy with temperature and ignore index matches a plain computation', async () => {
    const k = 5;
    const logits = Array.from({ length: 2 * 3 * k }, (_, i) => Math.sin(i * 1.7));
    const labels = [0, 4, 255, 2, 255, 1];
    const got = tidy(() => crossEntropyWithTemperature(Tensor.fromArray(logits, [2, 3, k]), Tensor.fromArray(labels, [2, 3], 'i32'), { tau: 0.1 }));
    let total = 0;
    let count = 0;
    labels.forEach((l, p) => {
      if (l === 255) return;
      const z = logits.slice(p * k, p * k + k).map((v) => v / 0.1);
      const m = Math.max(...z);
      const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
      total += lse - z[l];
      count++;
    });
    expect((await read(got))[0]).toBeCloseTo(total / count, 4);
    got.dispose();
    const none = tidy(() => crossEntropyWithTemperature(Tensor.fromArray(logits, [2, 3, k]), Tensor.fromArray([255, 255, 255, 255, 255, 255], [2, 3], 'i32')));
    expect(Math.abs((await read(none))[0])).toBe(0);
    none.dispose();
  });
});
