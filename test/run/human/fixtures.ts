// A tiny folder of unlabelled images for human-oracle tests: simple street-like scenes (sky, road,
// a tree, a car) so the pictures the page shows are recognisable, a classes.json, and optionally a
// labelled validation split (val/ and val/labels/).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRgbPng, writeGreyPng, writeRgbPng } from '../../../src/data/png.js';
import { writeQueries, type QueryFile } from '../../../src/run/human/queries.js';
import { tempDir } from '../../data/fixtures.js';

export const FOLDER_CLASSES = [
  { name: 'sky', colour: [70, 130, 180] },
  { name: 'road', colour: [128, 64, 128] },
  { name: 'vegetation', colour: [107, 142, 35] },
  { name: 'car', colour: [0, 0, 142] },
];

/** Scene `i`: the image and its class map (indices of FOLDER_CLASSES). */
export function streetScene(i: number, height: number, width: number): { image: Uint8Array; label: Uint8Array } {
  const image = new Uint8Array(width * height * 3);
  const label = new Uint8Array(width * height);
  const horizon = Math.round(height * (0.4 + 0.05 * (i % 4)));
  const tx = 10 + 17 * i, ty = horizon - 6, tr = 9;
  const cx0 = 40 + 9 * i, cy0 = horizon + 6, cx1 = cx0 + 26, cy1 = cy0 + 12;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let c: number[];
      let k: number;
      if ((x - tx) ** 2 + (y - ty) ** 2 < tr * tr) [c, k] = [[60, 130 + ((x * 7 + y * 3) % 30), 40], 2];
      else if (x >= cx0 && x < cx1 && y >= cy0 && y < cy1) [c, k] = [y < cy0 + 4 ? [160, 190, 210] : [25, 45, 120], 3];
      else if (y < horizon) [c, k] = [[120 + y, 170 + (y >> 1), 235], 0];
      else [c, k] = [[95 + ((x + y) % 9), 95 + ((x + y) % 9), 100 + ((x + y) % 9)], 1];
      image.set(c, 3 * (y * width + x));
      label[y * width + x] = k;
    }
  }
  return { image, label };
}

/** `count` images of height x width (and `val` labelled ones under val/); returns the folder. */
export function writeImageFolder(root: string, o: { count?: number; height?: number; width?: number; val?: number } = {}): string {
  const { count = 4, height = 64, width = 96, val = 0 } = o;
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'classes.json'), JSON.stringify({ classes: FOLDER_CLASSES }, null, 2));
  for (let i = 0; i < count; i++) writeRgbPng(join(root, `street-${i}.png`), { width, height, data: streetScene(i, height, width).image });
  for (let i = 0; i < val; i++) {
    const { image, label } = streetScene(count + i, height, width);
    writeRgbPng(join(root, 'val', `val-${i}.png`), { width, height, data: image });
    writeGreyPng(join(root, 'val', 'labels', `val-${i}.png`), { width, height, data: label });
  }
  return root;
}

/** A run directory holding three queries of one round (1x1 pictures), as `train --oracle human` leaves it; config.json holds a marker no response may contain. */
export function runWithQueries(round: number, mode: 'multi' | 'dominant' = 'multi'): string {
  const dir = tempDir('annotate');
  const classes = ['sky', 'road', 'car'].map((name, i) => ({ name, colour: [i, i, i] as [number, number, number] }));
  const queries = [0, 1, 2].map((id) => ({ id, image: id, sample: `img-${id}`, region: 5, bbox: [0, 0, 4, 4] as [number, number, number, number], pixels: 16, window: { x: 0, y: 0, size: 4 } }));
  const file: QueryFile = { version: 1, round, mode, classes, offered: [0, 1, 2], queries };
  writeQueries(dir, file);
  mkdirSync(join(dir, 'queries', `round-${round}`), { recursive: true });
  for (const q of queries) {
    for (const suffix of ['', '-context']) {
      writeFileSync(join(dir, 'queries', `round-${round}`, `q${q.id}${suffix}.png`), encodeRgbPng({ width: 1, height: 1, data: Uint8Array.of(q.id, suffix ? 1 : 0, 0) }));
    }
  }
  writeFileSync(join(dir, 'config.json'), '{"secret": true}');
  return dir;
}
