// Small datasets written by the tests themselves, in the Cityscapes and VOC layouts.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { cityscapesImagePath, cityscapesLabelPath } from '../../src/data/cityscapes.js';
import { writeGreyPng, writePalettePng, writeRgbPng } from '../../src/data/png.js';
import { vocColorMap } from '../../src/data/voc-labels.js';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `alseg-${prefix}-`));
}

/** An image whose pixel (x, y) is (x, y, 7) and a label map of the given label ids in 2x2 stripes. */
export function pattern(width: number, height: number, labelIds: readonly number[]): { image: Uint8Array; label: Uint8Array } {
  const image = new Uint8Array(width * height * 3);
  const label = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      image[3 * i] = x;
      image[3 * i + 1] = y;
      image[3 * i + 2] = 7;
      label[i] = labelIds[Math.floor(x / 2) % labelIds.length]!;
    }
  }
  return { image, label };
}

export interface CityscapesFixtureImage {
  split: string;
  city: string;
  base: string;
  width: number;
  height: number;
  labelIds: readonly number[];
}

export function writeCityscapesFixture(root: string, images: readonly CityscapesFixtureImage[]): void {
  for (const im of images) {
    const { image, label } = pattern(im.width, im.height, im.labelIds);
    writeRgbPng(cityscapesImagePath(root, im.split, im.city, im.base), { width: im.width, height: im.height, data: image });
    writeGreyPng(cityscapesLabelPath(root, im.split, im.city, im.base), { width: im.width, height: im.height, data: label });
  }
}

export interface VocFixtureImage {
  id: string;
  width: number;
  height: number;
  values: readonly number[];
}

export function writeVocFixture(root: string, splits: Readonly<Record<string, readonly VocFixtureImage[]>>): void {
  mkdirSync(join(root, 'ImageSets', 'Segmentation'), { recursive: true });
  mkdirSync(join(root, 'JPEGImages'), { recursive: true });
  for (const [split, images] of Object.entries(splits)) {
    writeFileSync(join(root, 'ImageSets', 'Segmentation', `${split}.txt`), images.map((i) => `${i.id}\n`).join(''));
    for (const im of images) {
      const { label } = pattern(im.width, im.height, im.values);
      const rgba = new Uint8Array(im.width * im.height * 4);
      for (let i = 0; i < im.width * im.height; i++) {
        rgba[4 * i] = 200;
        rgba[4 * i + 1] = 100;
        rgba[4 * i + 2] = 50;
        rgba[4 * i + 3] = 255;
      }
      writeFileSync(join(root, 'JPEGImages', `${im.id}.jpg`), jpeg.encode({ width: im.width, height: im.height, data: rgba }, 95).data);
      writePalettePng(join(root, 'SegmentationClass', `${im.id}.png`), { width: im.width, height: im.height, data: label }, vocColorMap(256));
    }
  }
}
