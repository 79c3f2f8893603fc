import { describe, expect, it } from 'vitest';
import { CITYSCAPES_LABEL_TO_TRAIN } from '../../src/data/cityscapes-labels.js';
import { DEFAULT_SYNTHETIC, generateSyntheticScene } from '../../src/data/synthetic.js';
import { equalizeJoint, hsvBins } from '../../src/superpixels/colour.js';
import { gridSuperpixels } from '../../src/superpixels/grid.js';
import { achievableSegmentationAccuracy, boundaryRecall, undersegmentationError } from '../../src/superpixels/quality.js';
import type { RegionMap } from '../../src/superpixels/region-map.js';
import { relabelConnected } from '../../src/superpixels/relabel.js';
import { seedsSuperpixels } from '../../src/superpixels/seeds.js';
import { slicSuperpixels } from '../../src/superpixels/slic.js';
import { EDGE_RUNS } from '../../src/superpixels/topology.js';

/** Every id in 0..count-1 is used and forms exactly one 4-connected component. */
function expectCompactConnected(sp: RegionMap): void {
  const again = relabelConnected(sp.ids, sp.width, sp.height);
  expect(again.count).toBe(sp.count);
  const used = new Set(sp.ids);
  expect(used.size).toBe(sp.count);
  expect(Math.min(...used)).toBe(0);
  expect(Math.max(...used)).toBe(sp.count - 1);
}

function scene(i: number): { rgb: Uint8Array; gt: Uint8Array } {
  const s = generateSyntheticScene(DEFAULT_SYNTHETIC, 'val', i);
  return { rgb: s.image.data, gt: Uint8Array.from(s.labelIds.data, (v) => CITYSCAPES_LABEL_TO_TRAIN[v]!) };
}

describe('superpixels', () => {
  it('relabel splits disconnected labels and merges tiny pieces', () => {
    // Label 1 appears in two separate places; label 2 is a single pixel.
    const ids = Int32Array.from([
      1, 1, 0, 1,
      1, 0, 0, 1,
      0, 0, 2, 0,
    ]);
    // The 0 in the bottom-right corner touches no other 0: a component of its own.
    const r = relabelConnected(ids, 4, 3);
    expect(r.count).toBe(5);
    expect(Array.from(r.ids)).toEqual([0, 0, 1, 2, 0, 1, 1, 2, 1, 1, 3, 4]);
    // Single pixels merge into their left neighbour's component (and the chain follows).
    const merged = relabelConnected(ids, 4, 3, 2);
    expect(merged.count).toBe(3);
    expect(Array.from(merged.ids)).toEqual([0, 0, 1, 2, 0, 1, 1, 2, 1, 1, 1, 1]);
  });

  it('counts ring runs touching the centre', () => {
    expect(EDGE_RUNS[0b00000010]).toBe(1); // N only
    expect(EDGE_RUNS[0b00100010]).toBe(2); // N and S, not joined
    expect(EDGE_RUNS[0b00111110]).toBe(1); // N..S through the east side
    expect(EDGE_RUNS[0b00000101]).toBe(0); // NW and NE corners only
    expect(EDGE_RUNS[0b10001000]).toBe(2); // E and W
    expect(EDGE_RUNS[255]).toBe(1);
  });

  it('bins HSV with normalised hue, or OpenCV-style with hue in the top bin', () => {
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 128, 128]);
    const norm = hsvBins(rgb, 10, 'normalized');
    const cv = hsvBins(rgb, 10, 'opencv');
    // red: h 0, s 1, v 1 -> bins (0, 9, 9); green: h 1/3 -> bin 3; blue: h 2/3 -> bin 6.
    expect(Array.from(norm)).toEqual([0 + 10 * (9 + 10 * 9), 3 + 990, 6 + 990, 0 + 10 * (0 + 10 * 5)]);
    expect(Array.from(cv)).toEqual([0 + 990, 9 + 990, 9 + 990, 0 + 500]);
    const eq = equalizeJoint(Uint8Array.from([10, 10, 20, 20, 30, 30]));
    expect(Array.from(eq)).toEqual([0, 0, 128, 128, 255, 255]);
  });

  it('SEEDS and SLIC give compact connected ids near the target count', () => {
    const { rgb } = scene(0);
    for (const sp of [seedsSuperpixels(rgb, 256, 128), seedsSuperpixels(rgb, 256, 128, { count: 50 }), slicSuperpixels(rgb, 256, 128)]) {
      expectCompactConnected(sp);
    }
    expect(seedsSuperpixels(rgb, 256, 128).count).toBe(32);
    expect(seedsSuperpixels(rgb, 256, 128, { count: 50 }).count).toBe(50);
    expect(seedsSuperpixels(rgb, 256, 128, { regionSize: 16 }).count).toBe(128);
    const slic = slicSuperpixels(rgb, 256, 128).count;
    expect(slic).toBeGreaterThan(20);
    expect(slic).toBeLessThan(45);
    expect(gridSuperpixels(100, 50, 32).count).toBe(8);
  });

  it('SEEDS is deterministic, fast, and works on odd sizes', () => {
    const { rgb } = scene(1);
    const t0 = performance.now();
    const a = seedsSuperpixels(rgb, 256, 128);
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(1000);
    expect(seedsSuperpixels(rgb, 256, 128).ids).toEqual(a.ids);
    const odd = seedsSuperpixels(rgb.subarray(0, 37 * 23 * 3), 37, 23, { regionSize: 8 });
    expectCompactConnected(odd);
  });

  it('SEEDS beats the 32x32 grid on boundary recall and undersegmentation error (synthetic val)', () => {
    let seedsBr = 0;
    let seedsUe = 0;
    let gridBr = 0;
    let gridUe = 0;
    const n = 4;
    for (let i = 0; i < n; i++) {
      const { rgb, gt } = scene(i);
      const s = seedsSuperpixels(rgb, 256, 128);
      const g = gridSuperpixels(256, 128, 32);
      seedsBr += boundaryRecall(s, gt) / n;
      seedsUe += undersegmentationError(s, gt) / n;
      gridBr += boundaryRecall(g, gt) / n;
      gridUe += undersegmentationError(g, gt) / n;
    }
    expect(seedsBr).toBeGreaterThan(gridBr + 0.2);
    expect(seedsUe).toBeLessThan(gridUe - 0.1);
  });
});

describe('quality metrics', () => {
  // GT: left half 0, right half 1 (4x4); boundary between columns 1 and 2.
  const gt = Uint8Array.from([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]);
  const map = (ids: number[]): RegionMap => ({ width: 4, height: 4, ids: Int32Array.from(ids), count: Math.max(...ids) + 1 });

  it('boundary recall with and without tolerance', () => {
    const exact = map([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]);
    expect(boundaryRecall(exact, gt, 0)).toBe(1);
    // Superpixel boundary one column off: missed at tolerance 0, found at 1.
    const shifted = map([0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1]);
    expect(boundaryRecall(shifted, gt, 0)).toBe(0);
    expect(boundaryRecall(shifted, gt, 1)).toBe(1);
    // Boundary only in the top half: half the GT boundary pixels recalled at tolerance 0.
    const half = map([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]);
    expect(boundaryRecall(half, gt, 0)).toBe(0.5);
  });

  it('undersegmentation error and ASA', () => {
    // One region over both halves: min(8, 8) for each class, 16 of 16.
    expect(undersegmentationError(map(new Array(16).fill(0)), gt)).toBe(1);
    expect(undersegmentationError(map([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]), gt)).toBe(0);
    // Region 0 = columns 0..2 (8 of class 0, 4 of class 1): error min(8,4) + min(4,8) = 8 of 16.
    const leak = map([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(undersegmentationError(leak, gt)).toBe(0.5);
    expect(achievableSegmentationAccuracy(leak, gt)).toBe(12 / 16);
  });
});
