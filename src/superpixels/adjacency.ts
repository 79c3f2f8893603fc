// Region graph and per-region pixel lists as flat CSR arrays (offsets + values), GPU-uploadable.
import type { RegionMap } from './region-map.js';

export interface RegionAdjacency {
  count: number;
  /** Neighbours of region r are neighbours[offsets[r] .. offsets[r+1]), ascending, r excluded. */
  offsets: Int32Array;
  neighbours: Int32Array;
}

/**
 * Which regions touch. 8-connected (default) is the reference's reading (docs/method.md, difference 4):
 * the regions hit by a 3x3 dilation of a region's mask, i.e. any pixel pair at Chebyshev distance 1.
 * 4-connected is the paper text's "adjacent".
 */
export function regionAdjacency(map: RegionMap, connectivity: 4 | 8 = 8): RegionAdjacency {
  const { width, height, ids, count } = map;
  const seen = new Set<number>();
  const add = (a: number, b: number): void => {
    if (a === b) return;
    seen.add(a * count + b);
    seen.add(b * count + a);
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const a = ids[p]!;
      if (x + 1 < width) add(a, ids[p + 1]!);
      if (y + 1 < height) {
        add(a, ids[p + width]!);
        if (connectivity === 8) {
          if (x + 1 < width) add(a, ids[p + width + 1]!);
          if (x > 0) add(a, ids[p + width - 1]!);
        }
      }
    }
  }
  const pairs = Float64Array.from(seen).sort();
  const offsets = new Int32Array(count + 1);
  const neighbours = new Int32Array(pairs.length);
  pairs.forEach((key, i) => {
    const a = Math.floor(key / count);
    neighbours[i] = key - a * count;
    offsets[a + 1]! += 1;
  });
  for (let r = 0; r < count; r++) offsets[r + 1]! += offsets[r]!;
  return { count, offsets, neighbours };
}

export interface RegionPixels {
  count: number;
  /** Pixels (y * width + x) of region r are pixels[offsets[r] .. offsets[r+1]), ascending. */
  offsets: Int32Array;
  pixels: Int32Array;
  /** Pixel count per region (offsets[r+1] - offsets[r]). */
  sizes: Int32Array;
}

/** Counting sort of pixel indices by region id. */
export function regionPixels(map: RegionMap): RegionPixels {
  const { ids, count } = map;
  const sizes = new Int32Array(count);
  for (const r of ids) sizes[r]! += 1;
  const offsets = new Int32Array(count + 1);
  for (let r = 0; r < count; r++) offsets[r + 1] = offsets[r]! + sizes[r]!;
  const fill = offsets.slice(0, count);
  const pixels = new Int32Array(ids.length);
  for (let p = 0; p < ids.length; p++) pixels[fill[ids[p]!]!++] = p;
  return { count, offsets, pixels, sizes };
}
