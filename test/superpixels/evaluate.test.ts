// Superpixel quality over a split (src/superpixels/evaluate.ts), on images whose scores are worked
// out by hand, not recomputed with the quality functions under test.
import { describe, expect, it } from 'vitest';
import { openCityscapes } from '../../src/data/cityscapes.js';
import { writeSyntheticDataset } from '../../src/data/synthetic.js';
import { evaluateSuperpixels } from '../../src/superpixels/evaluate.js';
import { tempDir, writeCityscapesFixture } from '../data/fixtures.js';

describe('evaluateSuperpixels', () => {
  it('averages the per-image metrics over the split (hand-counted, 16 px grid on 32x32 images)', () => {
    // Two 32x32 Cityscapes-layout images of road (id 7 -> class 0) and sidewalk (id 8 -> class 1),
    // cut by the grid into four 16x16 cells (column 15 | 16 and row 15 | 16 are its boundaries).
    //  - "halves": road at x < 16, sidewalk at x >= 16. The only label boundary is column 15, on
    //    the grid's own boundary: recall 32/32 = 1, every cell holds one class: UE 0, ASA 1.
    //  - "stripes": 2 px stripes, road at x = 0,1, sidewalk at 2,3, ...; label boundaries (a
    //    right neighbour differs) at the 15 odd columns 1..29, 480 pixels. Within 2 px of the grid's
    //    boundaries lie columns 13..17 (odd: 13, 15, 17: 3 x 32 = 96 pixels) and rows 13..17 (the
    //    other 12 columns x 5 rows = 60): recall 156/480 = 0.325. Each cell holds 128 road and 128
    //    sidewalk pixels: UE = 4 cells x (128 + 128) / 1024 = 1, ASA = 4 x 128 / 1024 = 0.5.
    const root = tempDir('spq');
    writeCityscapesFixture(root, [
      { split: 'val', city: 'bonn', base: 'bonn_000000_000001', width: 32, height: 32, labelIds: [...Array(8).fill(7), ...Array(8).fill(8)] },
      { split: 'val', city: 'bonn', base: 'bonn_000000_000002', width: 32, height: 32, labelIds: [7, 8] },
    ]);
    const ds = openCityscapes(root, 'val');
    const q = evaluateSuperpixels(ds, { algorithm: 'grid', params: { cell: 16 } });
    expect(q.images).toBe(2);
    expect(q.meanRegions).toBe(4);
    expect(q.boundaryRecall).toBeCloseTo((1 + 0.325) / 2, 12);
    expect(q.undersegmentationError).toBeCloseTo((0 + 1) / 2, 12);
    expect(q.achievableSegmentationAccuracy).toBeCloseTo((1 + 0.5) / 2, 12);
    // The limit takes the first image only ("halves", listed first).
    const first = evaluateSuperpixels(ds, { algorithm: 'grid', params: { cell: 16 } }, 2, 1);
    expect([first.images, first.boundaryRecall, first.undersegmentationError, first.achievableSegmentationAccuracy]).toEqual([1, 1, 0, 1]);
  });

  it('SEEDS beats a grid of the same cell size on boundary recall (synthetic val)', () => {
    const root = tempDir('spq');
    writeSyntheticDataset(root, { seed: 5, splits: { val: 2 }, height: 64, width: 128 });
    const ds = openCityscapes(root, 'val', 'synthetic');
    const grid = evaluateSuperpixels(ds, { algorithm: 'grid', params: { cell: 16 } });
    expect(grid.meanRegions).toBe(32);
    const seeds = evaluateSuperpixels(ds, { algorithm: 'seeds', params: { regionSize: 16 } });
    expect(seeds.boundaryRecall).toBeGreaterThan(grid.boundaryRecall);
  });
});
