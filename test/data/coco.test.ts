// COCO's RLE convention by hand-worked examples: column-major runs, starting with a run of zeros.
import { describe, expect, it } from 'vitest';
import { encodeCocoRle, maskBox } from '../../src/data/coco.js';

describe('COCO RLE', () => {
  // 2 rows x 3 columns, row-major 0 1 1 / 0 0 1; down the columns: 0 0 | 1 0 | 1 1, so the runs
  // are 2 zeros, 1 one, 1 zero, 2 ones.
  const mask = [0, 1, 1, 0, 0, 1];
  it('reads down each column and starts with zeros', () => {
    expect(encodeCocoRle(3, 2, (i) => mask[i] === 1)).toEqual({ size: [2, 3], counts: [2, 1, 1, 2] });
  });
  it('starts with an empty run of zeros when the first pixel is set, and covers empty and full masks', () => {
    expect(encodeCocoRle(3, 2, (i) => i === 0).counts).toEqual([0, 1, 5]);
    expect(encodeCocoRle(3, 2, () => false).counts).toEqual([6]);
    expect(encodeCocoRle(3, 2, () => true).counts).toEqual([0, 6]);
  });
  it('gives the area and an [x, y, w, h] box', () => {
    expect(maskBox(3, 2, (i) => mask[i] === 1)).toEqual({ area: 3, bbox: [1, 0, 2, 2] });
    expect(maskBox(3, 2, () => false)).toEqual({ area: 0, bbox: [0, 0, 0, 0] });
  });
});
