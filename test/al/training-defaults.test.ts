// Training defaults derived from the images' size, in the paper's proportions; the numbers below are
// the paper's settings and their scaled values, written out by hand.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { regionSizeReason, trainingDefaults } from '../../src/al/training-defaults.js';
import { encodeRgbPng } from '../../src/data/png.js';
import { imageFileSize, splitImageSize } from '../../src/data/image-size.js';

describe('training defaults from the data', () => {
  it("reproduce the paper's settings on the paper's images and scale them to others", () => {
    expect(trainingDefaults('cityscapes', { width: 2048, height: 1024 })).toMatchObject({ crop: 768, batch: 4 });
    expect(trainingDefaults('voc', { width: 500, height: 375 })).toMatchObject({ crop: 513, batch: 4 });
    expect(trainingDefaults('cityscapes', { width: 512, height: 256 })).toMatchObject({ crop: 192, batch: 4 });
    expect(trainingDefaults('synthetic', { width: 256, height: 128 })).toMatchObject({ crop: 96, batch: 4 });
    expect(trainingDefaults('folder', { width: 640, height: 480 })).toMatchObject({ crop: 640 });
    // Never more than Cityscapes' 768, never under 32.
    expect(trainingDefaults('cityscapes', { width: 4096, height: 2048 }).crop).toBe(768);
    expect(trainingDefaults('folder', { width: 4000, height: 3000 }).crop).toBe(768);
    expect(trainingDefaults('synthetic', { width: 64, height: 32 }).crop).toBe(32);
    expect(trainingDefaults('cityscapes', { width: 512, height: 256 }).reasons[0]).toBe("crop 192 px: 3/4 of the 256 px image height, as the paper's 768 px crops of 1024x2048 Cityscapes images");
    expect(regionSizeReason({ width: 512, height: 256 }, 32, false)).toBe("superpixels of ~32x32 px: the paper's region size (2048 per 1024x2048 Cityscapes image), ~128 per 512x256 image");
  });

  it('read an image size from PNG and JPEG headers, and a split typical size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'alseg-size-'));
    const png = join(dir, 'a.png');
    writeFileSync(png, encodeRgbPng({ width: 37, height: 21, data: new Uint8Array(37 * 21 * 3) }));
    expect(imageFileSize(png)).toEqual({ width: 37, height: 21 });
    // A baseline JPEG's header: SOI, an APP0 segment, then SOF0 with height 300 and width 451.
    const jpg = join(dir, 'b.jpg');
    writeFileSync(jpg, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x4a, 0x46, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x2c, 0x01, 0xc3, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    expect(imageFileSize(jpg)).toEqual({ width: 451, height: 300 });
    const bad = join(dir, 'c.png');
    writeFileSync(bad, 'not an image');
    expect(() => imageFileSize(bad)).toThrow(`${bad}: not a PNG or JPEG whose size can be read from its header`);
    const split = splitImageSize({ samples: [png, png, jpg].map((imagePath, i) => ({ id: String(i), imagePath, labelPath: '' })) });
    expect(split).toMatchObject({ width: 37, height: 21, min: { width: 37, height: 21 }, max: { width: 451, height: 300 }, read: 3 });
  });
});
