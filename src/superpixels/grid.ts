import type { RegionMap } from './region-map.js';

/** Square cells of `cell` pixels; the last row/column of cells takes whatever is left. */
export function gridSuperpixels(width: number, height: number, cell = 32): RegionMap {
  const nx = Math.ceil(width / cell);
  const ny = Math.ceil(height / cell);
  const ids = new Int32Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / cell) * nx;
    for (let x = 0; x < width; x++) ids[y * width + x] = row + Math.floor(x / cell);
  }
  return { width, height, ids, count: nx * ny };
}
