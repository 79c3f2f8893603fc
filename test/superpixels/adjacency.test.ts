import { describe, expect, it } from 'vitest';
import { regionAdjacency, regionPixels } from '../../src/superpixels/adjacency.js';
import type { RegionMap } from '../../src/superpixels/region-map.js';

// 0 0 1 1
// 0 0 1 1
// 2 2 3 3
// 4 4 4 4      regions 0 and 3 touch only diagonally; 1 and 2 too.
const MAP: RegionMap = {
  width: 4,
  height: 4,
  ids: Int32Array.from([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 4]),
  count: 5,
};

function lists(adj: { offsets: Int32Array; neighbours: Int32Array; count: number }): number[][] {
  return [...Array(adj.count).keys()].map((r) => Array.from(adj.neighbours.subarray(adj.offsets[r]!, adj.offsets[r + 1]!)));
}

describe('region adjacency', () => {
  it('8-connected includes diagonal contacts, as a 3x3 dilation would', () => {
    expect(lists(regionAdjacency(MAP))).toEqual([[1, 2, 3], [0, 2, 3], [0, 1, 3, 4], [0, 1, 2, 4], [2, 3]]);
  });

  it('4-connected leaves diagonal-only contacts out', () => {
    expect(lists(regionAdjacency(MAP, 4))).toEqual([[1, 2], [0, 3], [0, 3, 4], [1, 2, 4], [2, 3]]);
  });

  it('lists pixels per region in CSR form', () => {
    const px = regionPixels(MAP);
    expect(Array.from(px.sizes)).toEqual([4, 4, 2, 2, 4]);
    expect(Array.from(px.offsets)).toEqual([0, 4, 8, 10, 12, 16]);
    expect(Array.from(px.pixels.subarray(0, 4))).toEqual([0, 1, 4, 5]);
    expect(Array.from(px.pixels.subarray(10, 12))).toEqual([10, 11]);
  });
});
