import { describe, expect, it } from 'vitest';
import { openCityscapes } from '../../src/data/cityscapes.js';
import { writeSyntheticDataset } from '../../src/data/synthetic.js';
import { evaluateSuperpixels } from '../../src/superpixels/evaluate.js';
import { gridSuperpixels } from '../../src/superpixels/grid.js';
import { boundaryRecall, undersegmentationError } from '../../src/superpixels/quality.js';
import { tempDir } from '../data/fixtures.js';

describe('evaluateSuperpixels', () => {
  it('averages the per-image metrics over the split', () => {
    const root = tempDir('spq');
    writeSyntheticDataset(root, { seed: 5, splits: { val: 2 }, height: 64, width: 128 });
    const ds = openCityscapes(root, 'val', 'synthetic');
    const q = evaluateSuperpixels(ds, { algorithm: 'grid', params: { cell: 16 } });
    let br = 0;
    let ue = 0;
    for (const s of ds.samples) {
      const { label } = ds.load(s);
      const g = gridSuperpixels(128, 64, 16);
      br += boundaryRecall(g, label) / 2;
      ue += undersegmentationError(g, label) / 2;
    }
    expect(q.images).toBe(2);
    expect(q.meanRegions).toBe(32);
    expect(q.boundaryRecall).toBeCloseTo(br, 12);
    expect(q.undersegmentationError).toBeCloseTo(ue, 12);
    const seeds = evaluateSuperpixels(ds, { algorithm: 'seeds', params: { regionSize: 16 } });
    expect(seeds.boundaryRecall).toBeGreaterThan(q.boundaryRecall);
  });
});
