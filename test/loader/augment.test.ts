import { describe, expect, it } from 'vitest';
import {
  DEFAULT_AUGMENT, IGNORE_LABEL, NO_REGION, allocateBatch, assembleBatch, augmentInto, drawGeometry, type AugmentInput, type AugmentOptions,
} from '../../src/loader/augment.js';
import { IMAGENET_MEAN, IMAGENET_MEAN_COLOR, IMAGENET_STD } from '../../src/data/dataset.js';
import { Rng } from '../../src/data/rng.js';

/** Corners of the RGB cube: no mix of two of them equals a third, so colour identifies the label. */
const VERTEX = (k: number): [number, number, number] => [(k & 1) * 255, ((k >> 1) & 1) * 255, ((k >> 2) & 1) * 255];

/** Blocks of 8 labels in irregular stripes; region id = label * 1000 + block index. */
function encodedInput(width: number, height: number): AugmentInput {
  const image = new Uint8Array(width * height * 3);
  const label = new Uint8Array(width * height);
  const regions = new Int32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const block = Math.floor(x / 5) + 7 * Math.floor(y / 3);
      const l = (block * 5 + Math.floor(x / 11)) % 8;
      const i = y * width + x;
      label[i] = l;
      regions[i] = l * 1000 + block;
      image.set(VERTEX(l), 3 * i);
    }
  }
  return { image, label, regions, width, height };
}

function denorm(v: number, c: number): number {
  return (v * IMAGENET_STD[c]! + IMAGENET_MEAN[c]!) * 255;
}

const OPTS: AugmentOptions = { ...DEFAULT_AUGMENT, cropHeight: 24, cropWidth: 40, padColor: IMAGENET_MEAN_COLOR };

describe('augmentation', () => {
  it('moves image, label and region map through the same geometry', () => {
    const input = encodedInput(37, 23);
    const rng = new Rng(11);
    let pads = 0;
    let checkedColour = 0;
    for (let trial = 0; trial < 15; trial++) {
      const batch = assembleBatch([input, input], [0, 1], OPTS, rng);
      expect(batch.images.length).toBe(2 * 24 * 40 * 3);
      for (let o = 0; o < batch.labels.length; o++) {
        const l = batch.labels[o]!;
        const r = batch.regions[o]!;
        const rgb = [0, 1, 2].map((c) => denorm(batch.images[3 * o + c]!, c));
        if (l === IGNORE_LABEL) {
          pads++;
          expect(r).toBe(NO_REGION);
          rgb.forEach((v, c) => expect(Math.abs(v - IMAGENET_MEAN_COLOR[c]!)).toBeLessThan(1e-3));
          continue;
        }
        expect(Math.floor(r / 1000)).toBe(l);
        // Where bilinear interpolation gives a pure vertex colour, it must be the label's colour.
        const k = rgb.map((v) => (v < 0.5 ? 0 : v > 254.5 ? 1 : -1));
        if (k.every((b) => b >= 0)) {
          expect(k[0]! + 2 * k[1]! + 4 * k[2]!).toBe(l);
          checkedColour++;
        }
      }
    }
    expect(pads).toBeGreaterThan(0);
    expect(checkedColour).toBeGreaterThan(500);
  });

  it('at scale 1 with a full-size crop is the identity, or an exact mirror when flipped', () => {
    const input = encodedInput(16, 9);
    const opts: AugmentOptions = { ...OPTS, cropHeight: 9, cropWidth: 16, scaleMin: 1, scaleMax: 1, flipProbability: 0 };
    const same = assembleBatch([input], [0], opts, new Rng(1));
    expect(Array.from(same.labels)).toEqual(Array.from(input.label));
    expect(Array.from(same.regions)).toEqual(Array.from(input.regions!));
    expect(denorm(same.images[3 * 5 + 1]!, 1)).toBeCloseTo(input.image[3 * 5 + 1]!, 3);
    const mirrored = assembleBatch([input], [0], { ...opts, flipProbability: 1 }, new Rng(1));
    for (let y = 0; y < 9; y++) {
      for (let x = 0; x < 16; x++) expect(mirrored.labels[y * 16 + x]).toBe(input.label[y * 16 + 15 - x]);
    }
  });

  it('downscales by 2 with nearest ids and averaged colour, and pads the rest', () => {
    const w = 8;
    const h = 4;
    const image = new Uint8Array(w * h * 3);
    const label = new Uint8Array(w * h);
    for (let i = 0; i < w * h; i++) {
      image.fill(i % 2 === 0 ? 0 : 200, 3 * i, 3 * i + 3);
      label[i] = i % w;
    }
    const out = allocateBatch(1, { cropHeight: 4, cropWidth: 8 }, [0]);
    augmentInto({ image, label, regions: null, width: w, height: h }, { scaledWidth: 4, scaledHeight: 2, offsetX: 0, offsetY: 0, flip: false }, { ...OPTS, cropHeight: 4, cropWidth: 8 }, out, 0);
    // Output x samples source x = 2x + 0.5: halfway between a 0 and a 200 pixel.
    expect(denorm(out.images[0]!, 0)).toBeCloseTo(100, 3);
    expect(Array.from(out.labels.subarray(0, 8))).toEqual([1, 3, 5, 7, 255, 255, 255, 255]);
    expect(out.regions[0]).toBe(NO_REGION);
    expect(Array.from(out.labels.subarray(16, 24))).toEqual(new Array(8).fill(255));
  });

  it('draws scales in 0.5..2 and flips about half the time', () => {
    const rng = new Rng(9);
    let flips = 0;
    const scales: number[] = [];
    for (let i = 0; i < 400; i++) {
      const g = drawGeometry(rng, 100, 50, OPTS);
      if (g.flip) flips++;
      scales.push(g.scaledWidth / 100);
      expect(g.offsetX).toBeLessThanOrEqual(Math.max(g.scaledWidth, OPTS.cropWidth) - OPTS.cropWidth);
    }
    expect(flips).toBeGreaterThan(150);
    expect(flips).toBeLessThan(250);
    expect(Math.min(...scales)).toBeGreaterThanOrEqual(0.5);
    expect(Math.min(...scales)).toBeLessThan(0.6);
    expect(Math.max(...scales)).toBeLessThanOrEqual(2);
    expect(Math.max(...scales)).toBeGreaterThan(1.9);
  });

  it('is reproducible from the seed', () => {
    const input = encodedInput(30, 20);
    const a = assembleBatch([input, input], [0, 1], OPTS, new Rng(5));
    const b = assembleBatch([input, input], [0, 1], OPTS, new Rng(5));
    const c = assembleBatch([input, input], [0, 1], OPTS, new Rng(6));
    expect(a.images).toEqual(b.images);
    expect(a.regions).toEqual(b.regions);
    expect(a.labels).not.toEqual(c.labels);
  });
});
