// What imageRegionStats hands the new acquisitions from a real model: BALD's T Monte-Carlo dropout
// passes stacked in order (checked against the same passes run one by one and reduced by the
// float64 reference), KNN's region mean features, and the deterministic statistics unchanged by
// either request. A T whose stacked passes exceed the binding limit is refused naming the option.
import { describe, expect, it } from 'vitest';
import { imageRegionStats, predictImage } from '../../src/al/inference.js';
import { readF32 } from '../../src/engine/io.js';
import { engine } from '../../src/engine/runtime.js';
import type { Tensor } from '../../src/engine/tensor.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { resizeRef } from '../../src/kernels/cpu/resize.js';
import { pixelUncertaintyRef, regionMeansRef } from '../../src/kernels/cpu/uncertainty.js';
import { createModel } from '../../src/model/presets.js';
import { regionPixels } from '../../src/superpixels/adjacency.js';
import { expectClose, useEngine } from '../helpers.js';

useEngine();

const [H, W] = [45, 61];
const image = { width: W, height: H, image: Uint8Array.from(randomNd([H * W * 3], 5, 0, 255).data, Math.floor) };
const ids = Int32Array.from({ length: H * W }, (_, i) => Math.floor(Math.floor(i / W) / 16) * 4 + Math.floor((i % W) / 16));
const px = regionPixels({ width: W, height: H, ids, count: 12 });

/** A [1, h, w, C] map as float64 rows at the image's resolution. */
async function rows(t: Tensor): Promise<Float64Array> {
  const [, h, w, c] = t.shape;
  return resizeRef({ shape: [1, h, w, c], data: Float64Array.from(await readF32(t)) }, [H, W], false).data;
}

describe('imageRegionStats for Margin, Entropy, BALD and KNN', () => {
  it('BALD: the T passes of the stream, in order; KNN: the region mean features; the rest unchanged', async () => {
    const model = createModel('tiny', { numClasses: 5, undefinedClass: true, seed: 4 });
    const K = model.outputs;
    const plain = await imageRegionStats(model, image, px, 0.1);
    const bald = await imageRegionStats(model, image, px, 0.1, { uncertainty: { passes: 3, mcDropout: { seed: 9, position: 0 } } });
    const knn = await imageRegionStats(model, image, px, 0.1, { features: true });
    for (const s of [bald, knn]) {
      expect(Array.from(s.count)).toEqual(Array.from(plain.count));
      expect(Array.from(s.majority)).toEqual(Array.from(plain.majority));
      expect(Array.from(s.meanBvsb)).toEqual(Array.from(plain.meanBvsb));
    }
    expect(plain.uncertainty).toBeUndefined();
    expect(plain.features).toBeUndefined();

    const stream = { seed: 9, position: 0 };
    const passes: Float64Array[] = [];
    for (let t = 0; t < 3; t++) passes.push(await rows(predictImage(model, image, false, { mcDropout: stream }).logits));
    const ref = pixelUncertaintyRef(passes, K, 0.1);
    const mean = (v: Float64Array) => regionMeansRef(v, 1, px.offsets, px.pixels);
    expectClose(bald.uncertainty!.mutualInfo, mean(ref.mutualInfo), 1e-4, 'mutual information');
    expectClose(bald.uncertainty!.entropy, mean(ref.entropy), 1e-5, 'entropy of the mean');
    expect(Math.max(...bald.uncertainty!.mutualInfo)).toBeGreaterThan(0);
    // The passes in another order (a stream started further on) give other values.
    const later = await imageRegionStats(model, image, px, 0.1, { uncertainty: { passes: 3, mcDropout: { seed: 9, position: stream.position } } });
    expect(Array.from(later.uncertainty!.mutualInfo)).not.toEqual(Array.from(bald.uncertainty!.mutualInfo));

    const features = predictImage(model, image, true).features!;
    const D = features.shape[3];
    expect(knn.features!.channels).toBe(D);
    expectClose(knn.features!.values, regionMeansRef(await rows(features), D, px.offsets, px.pixels), 1e-5, 'region mean features');
    model.dispose();
  });

  it('passes past the binding limit are refused naming --bald-passes', async () => {
    const model = createModel('tiny', { numClasses: 5, undefinedClass: true, seed: 4 });
    const limits = engine().limits;
    const keep = limits.maxStorageBufferBindingSize;
    // Above every activation of this small image, below 64 stacked passes of its 12x16x6 logits.
    limits.maxStorageBufferBindingSize = 200 * 1024;
    try {
      await expect(imageRegionStats(model, image, px, 0.1, { uncertainty: { passes: 64, mcDropout: { seed: 1, position: 0 } } })).rejects.toThrow(
        /BALD: 64 passes of \[12, 16, 6\] logits need 0\.3 MiB in one binding, over this adapter's 0\.2 MiB; use fewer --bald-passes/,
      );
    } finally {
      limits.maxStorageBufferBindingSize = keep;
      model.dispose();
    }
  });
});
