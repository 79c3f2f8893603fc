// An image file's size from its header alone (PNG IHDR, JPEG SOF), and the typical image size of a
// dataset split: what training defaults are derived from before anything is decoded.
import { closeSync, openSync, readSync } from 'node:fs';
import { DataError } from './errors.js';
import type { Dataset } from './dataset.js';

export interface ImageSize {
  width: number;
  height: number;
}

/** Width and height of a PNG or JPEG file, read from its first bytes. */
export function imageFileSize(file: string): ImageSize {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const n = readSync(fd, head, 0, head.length, 0);
    const b = head.subarray(0, n);
    if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47 && b.toString('ascii', 12, 16) === 'IHDR') {
      return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
    }
    if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
      // Markers after SOI: each FF xx with a 2-byte length, until a start-of-frame (C0-CF but C4, C8, CC).
      for (let at = 2; at + 9 < b.length; ) {
        if (b[at] !== 0xff) break;
        const marker = b[at + 1];
        if (marker === 0xff) { at++; continue; }
        const len = b.readUInt16BE(at + 2);
        if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
          return { height: b.readUInt16BE(at + 5), width: b.readUInt16BE(at + 7) };
        }
        at += 2 + len;
      }
    }
    throw new DataError(file, 'not a PNG or JPEG whose size can be read from its header');
  } finally {
    closeSync(fd);
  }
}

/**
 * The median width and height of up to `n` images spread over the split, with the smallest and
 * largest seen: datasets of one image size (Cityscapes) give that size; mixed ones (VOC) a typical one.
 */
export function splitImageSize(ds: Pick<Dataset, 'samples'>, n = 9): ImageSize & { min: ImageSize; max: ImageSize; read: number } {
  const total = ds.samples.length;
  if (total === 0) throw new Error('the split has no images');
  const picks = [...new Set(Array.from({ length: Math.min(n, total) }, (_, k) => Math.floor((k * total) / Math.min(n, total))))];
  const sizes = picks.map((i) => imageFileSize(ds.samples[i].imagePath));
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const ws = sizes.map((s) => s.width);
  const hs = sizes.map((s) => s.height);
  return { width: median(ws), height: median(hs), min: { width: Math.min(...ws), height: Math.min(...hs) }, max: { width: Math.max(...ws), height: Math.max(...hs) }, read: sizes.length };
}
