// Tiled whole-image inference (src/al/tiles.ts): tiles on the 16-pixel lattice, each tile's outputs
// copied exactly into place, and predictImage falling back to tiles only when the whole image is
// past the adapter's binding limit.
import { describe, expect, it } from 'vitest';
import { imageTensor, predictImage } from '../../src/al/inference.js';
import { cropImage, predictInTiles, tileEdges } from '../../src/al/tiles.js';
import { BindingLimitError } from '../../src/engine/errors.js';
import { read } from '../../src/engine/io.js';
import { fill } from '../../src/engine/ops/shape.js';
import type { Tensor } from '../../src/engine/tensor.js';
import type { DeepLabV3Plus } from '../../src/model/deeplabv3plus.js';
import { createModel } from '../../src/model/presets.js';
import { useEngine } from '../helpers.js';

useEngine();

const H = 45;
const W = 70;
const image = new Uint8Array(H * W * 3).map((_, i) => (i * 37) % 251);

describe('tiled inference', () => {
  it('tile edges lie on the 16-pixel lattice and cover the axis', () => {
    expect(tileEdges(1024, 2)).toEqual([0, 512, 1024]);
    expect(tileEdges(2048, 4)).toEqual([0, 512, 1024, 1536, 2048]);
    expect(tileEdges(70, 3)).toEqual([0, 16, 48, 70]);
    expect(tileEdges(45, 1)).toEqual([0, 45]);
  });

  it('each tile of the stitched outputs is exactly that tile run alone', async () => {
    const model = createModel('tiny', { numClasses: 3, undefinedClass: true, seed: 2 });
    const x = imageTensor({ image, width: W, height: H });
    const whole = model.predict(x, { features: true });
    const tiled = predictInTiles(model, (y0, y1, x0, x1) => imageTensor(cropImage({ image, width: W }, y0, y1, x0, x1)), H, W, 2, 2, true);
    expect(tiled.logits.shape).toEqual(whole.logits.shape);
    expect(tiled.features!.shape).toEqual(whole.features!.shape);
    const [gh, gw, K] = tiled.logits.shape.slice(1);
    const D = tiled.features!.shape[3];
    const got = { logits: await read(tiled.logits), features: await read(tiled.features!) };
    const ys = tileEdges(H, 2);
    const xs = tileEdges(W, 2);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        const [y0, y1, x0, x1] = [ys[i], ys[i + 1], xs[j], xs[j + 1]];
        const crop = new Uint8Array((y1 - y0) * (x1 - x0) * 3);
        for (let y = y0; y < y1; y++) crop.set(image.subarray((y * W + x0) * 3, (y * W + x1) * 3), (y - y0) * (x1 - x0) * 3);
        const alone = predictImage(model, { image: crop, width: x1 - x0, height: y1 - y0 }, true);
        for (const [name, t, c] of [['logits', alone.logits, K], ['features', alone.features!, D]] as [keyof typeof got, Tensor, number][]) {
          const v = await read(t);
          const [th, tw] = t.shape.slice(1);
          for (let y = 0; y < th; y++) {
            for (let xx = 0; xx < tw; xx++) {
              const o = ((y0 / 4 + y) * gw + x0 / 4 + xx) * c;
              expect(Array.from(got[name].subarray(o, o + c)), `${name} tile ${i},${j} cell ${y},${xx}`).toEqual(Array.from(v.subarray((y * tw + xx) * c, (y * tw + xx + 1) * c)));
            }
          }
          t.dispose();
        }
        expect(gh).toBe(Math.ceil(H / 4));
      }
    }
    for (const t of [x, whole.logits, whole.features!, tiled.logits, tiled.features!]) t.dispose();
    model.dispose();
  });

  it('predictImage tiles only when the whole image is past the binding limit, and names the limit when tiles cannot help', async () => {
    // A stand-in model that refuses inputs wider than `widest`, like a binding past the limit.
    const calls: number[][] = [];
    const fake = (widest: number) =>
      ({
        predict: (x: Tensor) => {
          const [, h, w] = x.shape;
          calls.push([h, w]);
          if (w > widest) throw new BindingLimitError(`kernel "k" would bind a buffer of too many MiB`);
          return { logits: fill([1, Math.ceil(h / 4), Math.ceil(w / 4), 2], w), features: null };
        },
      }) as unknown as DeepLabV3Plus;
    const out = predictImage(fake(1000), { image, width: W, height: H });
    expect(calls).toEqual([[H, W]]);
    out.logits.dispose();
    calls.length = 0;
    const tiled = predictImage(fake(32), { image, width: W, height: H }, false, { minTile: 8 });
    expect(tiled.logits.shape).toEqual([1, 12, 18, 2]);
    // Whole (70 wide); 1x2 tiles (32 + 38: refused at 38); the longer side is then the height (45
    // vs 35): 2x2, refused again; then 2x4 (16 + 16 + 16 + 22 wide, two rows of tiles) fits.
    expect(calls).toEqual([[45, 70], [45, 32], [45, 38], [16, 32], [16, 38], ...[16, 29].flatMap((h) => [16, 16, 16, 22].map((w) => [h, w]))]);
    const v = await read(tiled.logits);
    expect(Array.from(v.subarray(0, 18 * 2)).filter((_, k) => k % 2 === 0)).toEqual([...Array(12).fill(16), ...Array(6).fill(22)]);
    tiled.logits.dispose();
    expect(() => predictImage(fake(4), { image, width: W, height: H }, false, { minTile: 32 })).toThrow(/too many MiB \(even in 1x2 tiles of the 70x45 image\)/);
  });
});
