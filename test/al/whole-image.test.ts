// A whole Cityscapes-sized image (1024x2048, generated) goes through evaluation, acquisition and
// stage-2 pseudo-labels with the `tiny` preset. Its full-resolution logits (20 outputs) would be
// 160 MiB, over lavapipe's 128 MiB storage-binding limit: every step reads the model's 1/4-
// resolution outputs and samples them per pixel, and the engine refuses any binding over the limit,
// so passing here means no full-resolution K-channel tensor was made.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionStats } from '../../src/al/acquisition.js';
import { predictImage, type ModelOutputs } from '../../src/al/inference.js';
import { ConfusionMatrix } from '../../src/al/metrics.js';
import { pseudoLabels } from '../../src/al/pseudo-labels.js';
import { regionAdjacency, regionPixels } from '../../src/superpixels/adjacency.js';
import type { DeepLabV3Plus } from '../../src/model/deeplabv3plus.js';
import { createModel } from '../../src/model/presets.js';
import { useEngine } from '../helpers.js';

useEngine();

const [H, W, C] = [1024, 2048, 19];
const NPIX = H * W;

// Horizontal bands of 6 colours (and their classes), with a little texture.
const image = new Uint8Array(NPIX * 3);
const label = new Uint8Array(NPIX);
for (let y = 0; y < H; y++) {
  const band = Math.floor(y / 171);
  for (let x = 0; x < W; x++) {
    const i = y * W + x;
    label[i] = x < 4 ? 255 : band;
    for (let c = 0; c < 3; c++) image[i * 3 + c] = (band * 40 + c * 70 + ((x * 7 + y * 3) % 23)) & 255;
  }
}
// 64x64 blocks as superpixels: 16 x 32 of them.
const ids = new Int32Array(NPIX);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) ids[y * W + x] = (y >> 6) * 32 + (x >> 6);
const map = { width: W, height: H, ids, count: 512 };

// One forward (with features) feeds all three, as evaluate(), imageRegionStats() and
// imagePseudoLabels() each do with their own: the forward is the slow part on a software adapter.
describe('whole 1024x2048 images (tiny preset)', () => {
  let model: DeepLabV3Plus;
  let out: ModelOutputs;
  beforeAll(() => {
    model = createModel('tiny', { numClasses: C, undefinedClass: true, seed: 1 });
    out = predictImage(model, { image, width: W, height: H }, true);
    out.logits.keep();
    out.features!.keep();
  });
  afterAll(() => {
    for (const t of [out.logits, out.features!]) t.dispose();
    model.dispose();
  });

  it('full-resolution logits would not fit one binding on lavapipe; the model outputs are 1/4', () => {
    expect(NPIX * model.outputs * 4).toBeGreaterThan(128 * 2 ** 20);
    expect(out.logits.shape).toEqual([1, H / 4, W / 4, C + 1]);
  });

  it('the confusion matrix counts every labelled pixel', async () => {
    const cm = new ConfusionMatrix(C);
    cm.add(out.logits, Int32Array.from(label), W);
    const counts = await cm.counts();
    cm.dispose();
    expect(counts.reduce((s, v) => s + v, 0)).toBe(label.filter((v) => v !== 255).length);
  });

  it('acquisition statistics cover every pixel of every region', async () => {
    const px = regionPixels(map);
    const stats = await regionStats(out.logits, 0.1, px.offsets, px.pixels, { width: W, height: H });
    expect(Array.from(stats.count).reduce((s, v) => s + v, 0)).toBe(NPIX);
    expect(stats.meanBvsb.every((v) => v > 0 && v <= 1 + 1e-6)).toBe(true);
  });

  it('pseudo-labels label the labelled regions', async () => {
    const labels = new Map([[0, 0b11], [100, 0b100], [300, 0b1010]]);
    const flags = { localise: true, expand: true, reading: 'code' as const };
    const got = await pseudoLabels({ logits: out.logits, features: out.features!, width: W, ids, pixels: regionPixels(map), adjacency: regionAdjacency(map, 8), labels }, flags);
    expect(got.length).toBe(NPIX);
    for (let x = 0; x < NPIX; x += 7) if (labels.has(ids[x])) expect(got[x]).not.toBe(255);
  });
});
