// The host side of per-pixel grid sampling: which grid a tensor shape stands for, and the uniform
// words the kernels receive. The WGSL side is checked against upsampled maps in
// test/al/grid-sampling.test.ts.
import { describe, expect, it } from 'vitest';
import { gridOf, gridValues } from '../../src/kernels/grid-sample.wgsl.js';

describe('gridOf', () => {
  it('reads [pixels, C] rows as each pixel its own cell, with or without the width', () => {
    expect(gridOf([15, 4], 15, 5, 'logits')).toEqual({ width: 5, height: 3, gh: 3, gw: 5 });
    expect(gridOf([15, 4], 15, undefined, 'logits')).toEqual({ width: 15, height: 1, gh: 1, gw: 15 });
    // A width that does not divide the pixel count cannot be the image's: one row, as without one.
    expect(gridOf([15, 4], 15, 4, 'logits')).toEqual({ width: 15, height: 1, gh: 1, gw: 15 });
  });

  it('reads [h, w, C] and [1, h, w, C] as a coarser grid over the image', () => {
    expect(gridOf([3, 5, 7], 12 * 20, 20, 'features')).toEqual({ width: 20, height: 12, gh: 3, gw: 5 });
    expect(gridOf([1, 3, 5, 7], 12 * 20, 20, 'features')).toEqual({ width: 20, height: 12, gh: 3, gw: 5 });
    // A grid the image's own size needs no width.
    expect(gridOf([1, 3, 5, 2], 15, undefined, 'features')).toEqual({ width: 5, height: 3, gh: 3, gw: 5 });
  });

  it('names the tensor and the problem on a shape it cannot read', () => {
    expect(() => gridOf([14, 4], 15, 5, 'logits')).toThrow('logits [14,4] do not match 15 pixels');
    expect(() => gridOf([2, 3, 5, 7], 240, 20, 'features')).toThrow('features must be [pixels, C], [h, w, C] or [1, h, w, C], got [2,3,5,7]');
    expect(() => gridOf([3, 5, 0], 240, 20, 'features')).toThrow('features [3,5,0] have no channels');
    expect(() => gridOf([3, 5, 7], 240, undefined, 'features')).toThrow('give the image width (240 pixels)');
    expect(() => gridOf([3, 5, 7], 240, 7, 'features')).toThrow('give the image width');
  });
});

describe('gridValues', () => {
  it('gives the image width, the cell counts and the scales grid / image, as resizeBilinear uses them', () => {
    expect(gridValues({ width: 20, height: 12, gh: 3, gw: 5 })).toEqual({ width: 20, gh: 3, gw: 5, sy: 0.25, sx: 0.25 });
    // Odd sizes: the scale is the exact ratio, not a rounded 1/4.
    const w = gridValues({ width: 375, height: 97, gh: 25, gw: 94 });
    expect([w.gh, w.gw]).toEqual([25, 94]);
    expect(w.sy).toBe(25 / 97);
    expect(w.sx).toBe(94 / 375);
  });
});
