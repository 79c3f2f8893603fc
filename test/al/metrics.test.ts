// mIoU via the GPU confusion matrix.
import { describe, expect, it } from 'vitest';
import { ConfusionMatrix, iouFromCounts } from '../../src/al/metrics.js';
import { Tensor } from '../../src/engine/tensor.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { useEngine } from '../helpers.js';

useEngine();

describe('confusion matrix and mIoU', () => {
  it('counts (truth, argmax over the real classes) pairs, ignoring 255 and the undefined output', async () => {
    const npix = 1000;
    const C = 4; // + 1 undefined output column, never predicted
    const z = randomNd([npix, C + 1], 5, -1, 1);
    for (let i = 0; i < npix; i++) z.data[i * (C + 1) + C] = 10; // the undefined column wins the full argmax
    const gt = Int32Array.from(randomNd([npix], 6, 0, 1).data, (v, i) => (i % 17 === 0 ? 255 : Math.floor(v * C)));
    const cm = new ConfusionMatrix(C);
    cm.add(Tensor.fromArray(z.data.subarray(0, 600 * (C + 1)), [600, C + 1]), gt.subarray(0, 600));
    expect(() => cm.add(Tensor.fromArray(z.data, [npix, C + 1]), gt.subarray(0, 10))).toThrow(/10 labels for 1000 pixels/);
    const rest = Tensor.fromArray(z.data.subarray(600 * (C + 1)), [400, C + 1]);
    cm.add(rest, gt.subarray(600));
    const want = new Array<number>(C * C).fill(0);
    for (let i = 0; i < npix; i++) {
      if (gt[i] === 255) continue;
      let best = 0;
      for (let c = 1; c < C; c++) if (z.data[i * (C + 1) + c] > z.data[i * (C + 1) + best]) best = c;
      want[gt[i] * C + best]++;
    }
    expect(Array.from(await cm.counts())).toEqual(want);
    cm.dispose();
  });

  it('IoU per class, mean over present classes, and the all-classes convention', () => {
    // 3 classes; class 2 absent from truth and prediction.
    const cm = [3, 1, 0, 0, 4, 0, 0, 0, 0];
    const r = iouFromCounts(cm, 3);
    expect(r.perClass[0]).toBeCloseTo(3 / 4);
    expect(r.perClass[1]).toBeCloseTo(4 / 5);
    expect(Number.isNaN(r.perClass[2])).toBe(true);
    expect(r.miou).toBeCloseTo((3 / 4 + 4 / 5) / 2);
    expect(r.miouAllClasses).toBeCloseTo((3 / 4 + 4 / 5 + 1) / 3);
    expect(r.pixelAccuracy).toBeCloseTo(7 / 8);
  });
});
