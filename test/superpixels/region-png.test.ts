import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeGrey16Png } from '../../src/data/png.js';
import { readRegionPng, writeRegionPng } from '../../src/superpixels/region-png.js';
import { tempDir } from '../data/fixtures.js';

describe('region map PNGs', () => {
  it('round-trip ids above 255 through 16 bits', () => {
    const dir = tempDir('rpng');
    const ids = Int32Array.from({ length: 600 }, (_, i) => i);
    writeRegionPng(join(dir, 'r.png'), { width: 30, height: 20, ids, count: 600 });
    const back = readRegionPng(join(dir, 'r.png'));
    expect(back.count).toBe(600);
    expect(back.ids).toEqual(ids);
  });

  it('refuses ids with gaps', () => {
    const dir = tempDir('rpng');
    writeGrey16Png(join(dir, 'gap.png'), { width: 3, height: 1, data: Uint16Array.from([0, 2, 2]) });
    expect(() => readRegionPng(join(dir, 'gap.png'))).toThrow(/gap\.png: region ids are not compact/);
  });
});
