import type { RegionMap } from './region-map.js';

function find(parent: Int32Array, a: number): number {
  while (parent[a] !== a) {
    parent[a] = parent[parent[a]!]!;
    a = parent[a]!;
  }
  return a;
}

/**
 * Splits every label into its 4-connected components and numbers them 0..R-1 in raster order of
 * their first pixel. Components smaller than `minSize` are merged into the component their first
 * pixel touches above or to the left (as SLIC's connectivity step does), or, for the very first
 * component, into the next one.
 */
export function relabelConnected(labels: Int32Array, width: number, height: number, minSize = 0): RegionMap {
  const n = width * height;
  const comp = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  const sizes: number[] = [];
  const firstPixel: number[] = [];
  let count = 0;
  for (let start = 0; start < n; start++) {
    if (comp[start] !== -1) continue;
    const lab = labels[start]!;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    comp[start] = count;
    while (head < tail) {
      const p = queue[head++]!;
      const x = p % width;
      const y = (p - x) / width;
      if (x > 0 && comp[p - 1] === -1 && labels[p - 1] === lab) { comp[p - 1] = count; queue[tail++] = p - 1; }
      if (x + 1 < width && comp[p + 1] === -1 && labels[p + 1] === lab) { comp[p + 1] = count; queue[tail++] = p + 1; }
      if (y > 0 && comp[p - width] === -1 && labels[p - width] === lab) { comp[p - width] = count; queue[tail++] = p - width; }
      if (y + 1 < height && comp[p + width] === -1 && labels[p + width] === lab) { comp[p + width] = count; queue[tail++] = p + width; }
    }
    sizes.push(tail);
    firstPixel.push(start);
    count++;
  }
  if (minSize <= 1 || count <= 1) return { width, height, ids: comp, count };

  const parent = new Int32Array(count);
  for (let c = 0; c < count; c++) parent[c] = c;
  for (let c = 0; c < count; c++) {
    if (sizes[c]! >= minSize) continue;
    const p = firstPixel[c]!;
    const x = p % width;
    // The first pixel in raster order has its left and upper neighbours in other components.
    let other = -1;
    if (x > 0) other = comp[p - 1]!;
    else if (p >= width) other = comp[p - width]!;
    else if (c + 1 < count) other = c + 1;
    if (other >= 0) parent[find(parent, c)] = find(parent, other);
  }
  const remap = new Int32Array(count).fill(-1);
  let next = 0;
  const ids = new Int32Array(n);
  for (let p = 0; p < n; p++) {
    const root = find(parent, comp[p]!);
    if (remap[root] === -1) remap[root] = next++;
    ids[p] = remap[root]!;
  }
  return { width, height, ids, count: next };
}
