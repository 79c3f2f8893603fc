// File-level PNG helpers. Every failure becomes a DataError naming the file, so a user who points
// alseg at a broken dataset learns which file is wrong and why.
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { writeFileAtomic } from './atomic-write.js';
import { DataError, describeError, errnoCode } from './errors.js';
import { decodePngRaw, encodePngRaw, type RawPng } from './png-raw.js';

/** An 8-bit RGB image, row-major, 3 bytes per pixel. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** One value per pixel, row-major (label ids, palette indices or region ids). */
export interface GreyImage<T extends Uint8Array | Uint16Array = Uint8Array> {
  width: number;
  height: number;
  data: T;
}

export function readFileOrThrow(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') throw new DataError(file, 'missing file');
    if (code === 'EISDIR') throw new DataError(file, 'is a directory, expected a file');
    throw new DataError(file, `cannot read (${describeError(err)})`);
  }
}

export function readRgbPng(file: string): RgbImage {
  const buf = readFileOrThrow(file);
  let png: { width: number; height: number; data: Buffer };
  try {
    png = PNG.sync.read(buf);
  } catch (err) {
    throw new DataError(file, `corrupt PNG (${describeError(err)})`);
  }
  const n = png.width * png.height;
  const data = new Uint8Array(n * 3);
  // pngjs always hands back RGBA (grey and palette images expanded); alpha is dropped.
  for (let i = 0; i < n; i++) {
    data[3 * i] = png.data[4 * i]!;
    data[3 * i + 1] = png.data[4 * i + 1]!;
    data[3 * i + 2] = png.data[4 * i + 2]!;
  }
  return { width: png.width, height: png.height, data };
}

function readRaw(file: string): RawPng {
  const buf = readFileOrThrow(file);
  try {
    return decodePngRaw(buf);
  } catch (err) {
    throw new DataError(file, `corrupt PNG (${describeError(err)})`);
  }
}

/**
 * Reads a one-value-per-pixel 8-bit PNG: a greyscale image's values or a palette image's indices
 * (never the palette colours). This is how both Cityscapes labelIds and VOC SegmentationClass are
 * stored.
 */
export function readIndexPng(file: string): GreyImage<Uint8Array> & { paletted: boolean } {
  const raw = readRaw(file);
  if ((raw.colorType !== 0 && raw.colorType !== 3) || raw.bitDepth > 8) {
    throw new DataError(file, `expected an 8-bit greyscale or palette PNG, got colour type ${raw.colorType} at ${raw.bitDepth} bits`);
  }
  return { width: raw.width, height: raw.height, data: raw.samples as Uint8Array, paletted: raw.colorType === 3 };
}

export function readGrey16Png(file: string): GreyImage<Uint16Array> {
  const raw = readRaw(file);
  if (raw.colorType !== 0 || raw.bitDepth !== 16) {
    throw new DataError(file, `expected a 16-bit greyscale PNG, got colour type ${raw.colorType} at ${raw.bitDepth} bits`);
  }
  return { width: raw.width, height: raw.height, data: raw.samples as Uint16Array };
}

export function encodeRgbPng(img: RgbImage): Buffer {
  return encodePngRaw({ width: img.width, height: img.height, colorType: 2, bitDepth: 8, samples: img.data });
}

export function writeRgbPng(file: string, img: RgbImage): void {
  writeFileAtomic(file, encodeRgbPng(img));
}

export function writeGreyPng(file: string, img: GreyImage<Uint8Array>): void {
  writeFileAtomic(file, encodePngRaw({ width: img.width, height: img.height, colorType: 0, bitDepth: 8, samples: img.data }));
}

export function writeGrey16Png(file: string, img: GreyImage<Uint16Array>): void {
  writeFileAtomic(file, encodePngRaw({ width: img.width, height: img.height, colorType: 0, bitDepth: 16, samples: img.data }));
}

/** A palette PNG: pixel values are indices into `palette` (RGB triples), as VOC label maps are stored. */
export function writePalettePng(file: string, img: GreyImage<Uint8Array>, palette: Uint8Array): void {
  writeFileAtomic(file, encodePngRaw({ width: img.width, height: img.height, colorType: 3, bitDepth: 8, samples: img.data, palette }));
}
