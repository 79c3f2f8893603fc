// Region maps as 16-bit greyscale PNGs: for inspection in any image viewer and for exchange with
// other tools (e.g. comparing against OpenCV's SEEDS output). The cache uses its own format.
import { DataError } from '../data/errors.js';
import { readGrey16Png, writeGrey16Png } from '../data/png.js';
import type { RegionMap } from './region-map.js';

export function writeRegionPng(file: string, map: RegionMap): void {
  if (map.count > 65536) throw new Error(`writeRegionPng: ${map.count} regions do not fit 16 bits`);
  writeGrey16Png(file, { width: map.width, height: map.height, data: Uint16Array.from(map.ids) });
}

/** Reads ids back; they must already be compact (0..R-1), as writeRegionPng leaves them. */
export function readRegionPng(file: string): RegionMap {
  const img = readGrey16Png(file);
  const ids = Int32Array.from(img.data);
  let count = 0;
  for (const v of ids) count = Math.max(count, v + 1);
  const seen = new Uint8Array(count);
  for (const v of ids) seen[v] = 1;
  if (seen.includes(0)) throw new DataError(file, `region ids are not compact: some of 0..${count - 1} are unused`);
  return { width: img.width, height: img.height, ids, count };
}
