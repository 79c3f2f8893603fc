import { describe, expect, it } from 'vitest';
import { answerBitmasks, boundaryBand, dominantAnswers, multiClassAnswers } from '../../src/al/oracle.js';
import { Rng } from '../../src/data/rng.js';
import type { RegionMap } from '../../src/superpixels/region-map.js';

// 24 x 12 image. Region 0: x < 12 except region 2, a 2x2 block at x 2..3, y 2..3. Region 1: x >= 12.
const W = 24;
const H = 12;
const C = 10;

function build(): { map: RegionMap; gt: Uint8Array } {
  const ids = new Int32Array(W * H);
  const gt = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      const inSmall = x >= 2 && x <= 3 && y >= 2 && y <= 3;
      ids[p] = inSmall ? 2 : x < 12 ? 0 : 1;
      if (inSmall) gt[p] = x === 2 && y === 2 ? 5 : 6;
      else if (x < 10) gt[p] = 1;
      else if (x < 12) gt[p] = 7; // region 0, only inside the band along x = 11|12
      else if (x < 15) gt[p] = 0; // region 1, only inside the band
      else if (x < 20) gt[p] = 3;
      else gt[p] = 255;
    }
  }
  gt[1 * W + 1] = 8; // region 0, inside the band around region 2
  return { map: { width: W, height: H, ids, count: 3 }, gt };
}

function labelSet(labels: Uint8Array, r: number, K: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < K; k++) if (labels[r * K + k]) out.push(k);
  return out;
}

describe('oracle', () => {
  it('builds the band from thick boundaries dilated by a 5x5 square', () => {
    const { map } = build();
    const band = boundaryBand(map);
    const row = (y: number): string => Array.from(band.subarray(y * W, (y + 1) * W)).join('');
    // Vertical boundary between x = 11 and 12 -> thick at 11, 12 -> band 9..14.
    // Region 2 (x 2..3, y 2..3) -> thick: the block plus its 4-neighbours (a cross-shaped
    // footprint, corners excluded) -> rows 0..5 band x 0..6; row 6 is reached only from y = 4,
    // where the thick boundary spans x 2..3, so band x 0..5.
    expect(row(0)).toBe('111111100111111000000000');
    expect(row(5)).toBe('111111100111111000000000');
    expect(row(6)).toBe('111111000111111000000000');
    expect(row(7)).toBe('000000000111111000000000');
  });

  it('answers multi-class queries from pixels outside the band, or the whole region when swallowed', () => {
    const { map, gt } = build();
    const a = multiClassAnswers(map, gt, { numClasses: C, hasUndefinedClass: true });
    expect(a.numLabels).toBe(C + 1);
    // Region 0: classes 7 and 8 appear only on the band, so only class 1 is answered.
    expect(labelSet(a.labels, 0, C + 1)).toEqual([1]);
    // Region 1: class 0 only on the band; void pixels answer the undefined class C.
    expect(labelSet(a.labels, 1, C + 1)).toEqual([3, C]);
    // Region 2 lies wholly in the band: all its pixels count.
    expect(labelSet(a.labels, 2, C + 1)).toEqual([5, 6]);
    expect(Array.from(a.costs)).toEqual([1, 2, 2]);
    expect(Array.from(answerBitmasks(a))).toEqual([1 << 1, (1 << 3) | (1 << C), (1 << 5) | (1 << 6)]);
  });

  it('ignores void where the dataset has no undefined class (VOC)', () => {
    const { map, gt } = build();
    const a = multiClassAnswers(map, gt, { numClasses: C, hasUndefinedClass: false });
    expect(a.numLabels).toBe(C);
    expect(labelSet(a.labels, 1, C)).toEqual([3]);
    expect(Array.from(a.costs)).toEqual([1, 1, 2]);
    // A region of void only has nothing to answer and costs nothing.
    const voidOnly = multiClassAnswers({ width: 2, height: 1, ids: Int32Array.from([0, 0]), count: 1 }, Uint8Array.from([255, 255]), { numClasses: C, hasUndefinedClass: false });
    expect(Array.from(voidOnly.costs)).toEqual([0]);
  });

  it('answers dominant-class queries with the majority, one click each', () => {
    const { map, gt } = build();
    const d = dominantAnswers(map, gt, { numClasses: C, hasUndefinedClass: true });
    // Region 1 counts: class 0: 36, class 3: 60, void: 48.
    expect(Array.from(d.dominant)).toEqual([1, 3, 6]);
    expect(Array.from(d.costs)).toEqual([1, 1, 1]);
    expect(labelSet(d.labels, 1, C + 1)).toEqual([3]);
  });

  it('samples the dominant answer in proportion to pixel counts', () => {
    const { map, gt } = build();
    const rng = new Rng(7);
    let fives = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) if (dominantAnswers(map, gt, { numClasses: C, hasUndefinedClass: true }, rng).dominant[2] === 5) fives++;
    // Region 2 holds one pixel of class 5 and three of class 6.
    expect(fives / n).toBeGreaterThan(0.21);
    expect(fives / n).toBeLessThan(0.29);
  });

  it('rejects ground truth outside the classes', () => {
    const { map, gt } = build();
    gt[0] = 12;
    expect(() => multiClassAnswers(map, gt, { numClasses: C, hasUndefinedClass: true })).toThrow(/value 12/);
  });
});
