import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCityscapes } from '../../src/data/cityscapes.js';
import { writeSyntheticDataset } from '../../src/data/synthetic.js';
import {
  SUPERPIXEL_CACHE_VERSION, buildSuperpixelCache, decodeRegionMap, defaultSuperpixelCacheDir, encodeRegionMap, readCachedRegions, superpixelCacheFile,
} from '../../src/superpixels/cache.js';
import { computeSuperpixels, resolvedParams, type SuperpixelSpec } from '../../src/superpixels/compute.js';
import { tempDir } from '../data/fixtures.js';

describe('superpixel cache', () => {
  it('computes once, reuses, and rebuilds when the configuration or file changes', async () => {
    const root = tempDir('spc');
    writeSyntheticDataset(root, { seed: 1, splits: { train: 3 }, height: 48, width: 96 });
    const ds = openCityscapes(root, 'train', 'synthetic');
    const spec: SuperpixelSpec = { algorithm: 'seeds', params: { regionSize: 16 } };
    const dir = join(root, 'cache');
    const seen: number[] = [];
    const first = await buildSuperpixelCache(ds, spec, dir, (p) => seen.push(p.done));
    expect(seen).toEqual([1, 2, 3]);
    expect([first.computed, first.reused]).toEqual([3, 0]);
    expect(first.meanRegions).toBeGreaterThan(10);

    const again = await buildSuperpixelCache(ds, spec, dir);
    expect([again.computed, again.reused]).toEqual([0, 3]);
    const s0 = ds.samples[0]!;
    const loaded = ds.load(s0);
    expect(readCachedRegions(dir, s0, spec)!.ids).toEqual(computeSuperpixels(spec, loaded.image, loaded.width, loaded.height).ids);

    // Other parameters -> stale.
    expect(readCachedRegions(dir, s0, { algorithm: 'seeds', params: { regionSize: 12 } })).toBeNull();
    const changed = await buildSuperpixelCache(ds, { algorithm: 'seeds', params: { regionSize: 12 } }, dir);
    expect(changed.computed).toBe(3);
    // Corrupt file -> recomputed.
    writeFileSync(superpixelCacheFile(dir, ds.samples[1]!), 'junk');
    expect((await buildSuperpixelCache(ds, { algorithm: 'seeds', params: { regionSize: 12 } }, dir)).computed).toBe(1);
  });

  it('rejects another version, algorithm or source stamp', () => {
    const map = { width: 3, height: 2, ids: Int32Array.from([0, 0, 1, 2, 2, 1]), count: 3 };
    const params = resolvedParams({ algorithm: 'grid' });
    const source = { bytes: 10, mtimeMs: 5 };
    const buf = encodeRegionMap(map, { version: SUPERPIXEL_CACHE_VERSION, algorithm: 'grid', params, source });
    expect(decodeRegionMap(buf, { algorithm: 'grid', params, source })!.ids).toEqual(map.ids);
    expect(decodeRegionMap(buf, { algorithm: 'slic', params, source })).toBeNull();
    expect(decodeRegionMap(buf, { algorithm: 'grid', params, source: { bytes: 11, mtimeMs: 5 } })).toBeNull();
    const old = encodeRegionMap(map, { version: SUPERPIXEL_CACHE_VERSION - 1, algorithm: 'grid', params, source });
    expect(decodeRegionMap(old, { algorithm: 'grid', params, source })).toBeNull();
  });

  it('keeps configurations apart in the default folder', () => {
    const ds = { kind: 'synthetic' as const, root: '/data/x', split: 'train' };
    const a = defaultSuperpixelCacheDir(ds, { algorithm: 'seeds' });
    expect(a).toMatch(/^\.cache\/superpixels\/synthetic\/train\/seeds-[0-9a-f]{12}$/);
    expect(defaultSuperpixelCacheDir(ds, { algorithm: 'seeds', params: { hue: 'opencv' } })).not.toBe(a);
    expect(defaultSuperpixelCacheDir(ds, { algorithm: 'seeds', params: { regionSize: 32 } })).toBe(a);
  });
});
