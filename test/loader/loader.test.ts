import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_AUGMENT } from '../../src/loader/augment.js';
import { BatchSource, type BatchSourceConfig } from '../../src/loader/batch-source.js';
import { IMAGENET_MEAN_COLOR } from '../../src/data/dataset.js';
import { BatchLoader, epochPlan } from '../../src/loader/loader.js';
import { writeSyntheticDataset } from '../../src/data/synthetic.js';
import { tempDir } from '../data/fixtures.js';

const root = tempDir('loader');
writeSyntheticDataset(root, { seed: 2, splits: { train: 5 }, height: 48, width: 96 });
const config: BatchSourceConfig = {
  dataset: { kind: 'synthetic', root, split: 'train' },
  superpixels: { spec: { algorithm: 'seeds', params: { regionSize: 16 } }, cacheDir: join(root, 'sp') },
  augment: { ...DEFAULT_AUGMENT, cropHeight: 40, cropWidth: 64, padColor: IMAGENET_MEAN_COLOR },
};

async function drain(loader: BatchLoader): Promise<{ indices: number[]; images: Float32Array; regions: Int32Array; labels: Uint8Array }[]> {
  const out = [];
  for (let b = await loader.next(); b; b = await loader.next()) out.push({ indices: b.indices, images: b.images, regions: b.regions, labels: b.labels });
  await loader.close();
  return out;
}

const compiled: string[] = [];
afterAll(() => compiled.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('batch loader', () => {
  it('plans shuffled epochs of full batches', () => {
    const plan = epochPlan(5, 2, 1, 6);
    const batches = [0, 1, 2, 3, 4, 5, 6].map(plan);
    expect(batches[6]).toBeNull();
    const epoch0 = [...batches[0]!, ...batches[1]!];
    expect(new Set(epoch0).size).toBe(4);
    expect(batches.slice(0, 6).every((b) => b!.length === 2)).toBe(true);
    expect(epochPlan(5, 2, 1)(0)).toEqual(batches[0]);
    expect(() => epochPlan(1, 2, 1)).toThrow(/cannot fill/);
  });

  it('prefetches on the main thread under vitest and returns the planned batches in order', async () => {
    const loader = new BatchLoader(config, epochPlan(5, 2, 3, 4), { seed: 9, prefetch: 2 });
    expect(loader.usesWorker).toBe(false);
    const got = await drain(loader);
    expect(got).toHaveLength(4);
    const source = new BatchSource(config);
    const plan = epochPlan(5, 2, 3, 4);
    got.forEach((b, i) => {
      expect(b.indices).toEqual(plan(i));
      const ref = source.prepare({ batchIndex: i, indices: plan(i)!, seed: 9 });
      expect(b.images).toEqual(ref.images);
      expect(b.regions).toEqual(ref.regions);
    });
    const r = got[0]!.regions;
    expect(Math.max(...r)).toBeGreaterThan(3);
    // Pixels without a region are crop padding, which is labelled 255.
    for (let p = 0; p < r.length; p++) if (r[p]! < 0) expect(got[0]!.labels[p]).toBe(255);
  });

  it('the labelled-crop sampler: crops hold a labelled region where plain random crops often miss it', () => {
    // One labelled superpixel (~16 px) per image, 24 px crops of images scaled 0.5-2.
    const small = { ...config, augment: { ...config.augment, cropHeight: 24, cropWidth: 24 } };
    const regions: Record<number, number[]> = { 0: [3], 1: [7], 2: [0], 3: [12], 4: [5] };
    const count = (cfg: BatchSourceConfig) => {
      const source = new BatchSource(cfg);
      let empty = 0;
      let resampled = 0;
      let reported = 0;
      for (let i = 0; i < 100; i++) {
        const b = source.prepare({ batchIndex: i, indices: [i % 5], seed: 4 });
        const wanted = new Set(regions[i % 5]);
        if (!b.regions.some((r) => wanted.has(r))) empty++;
        resampled += b.resampledCrops;
        reported += b.emptyCrops;
      }
      return { empty, resampled, reported };
    };
    const plain = count(small);
    const labelled = count({ ...small, labelledCrops: { regions } });
    expect(plain.empty).toBeGreaterThan(30);
    expect(plain.resampled).toBe(0);
    expect(labelled.empty).toBeLessThanOrEqual(5);
    expect(labelled.reported).toBe(labelled.empty);
    expect(labelled.resampled).toBeGreaterThanOrEqual(plain.empty - 10);
    // Stage 2's reading (labels other than 255) on ground truth: crops are rarely all padding, and never after resampling.
    expect(count({ ...small, labelledCrops: {} }).reported).toBe(0);
  });

  it('reports a broken sample through next()', async () => {
    const bad = tempDir('loader-bad');
    writeSyntheticDataset(bad, { seed: 2, splits: { train: 2 }, height: 24, width: 48 });
    writeFileSync(join(bad, 'gtFine/train/synthtrain/synthtrain_000000_000001_gtFine_labelIds.png'), 'x');
    const loader = new BatchLoader({ ...config, dataset: { ...config.dataset, root: bad }, superpixels: null }, (i) => (i < 2 ? [i] : null), { seed: 1 });
    expect((await loader.next())!.indices).toEqual([0]);
    await expect(loader.next()).rejects.toThrow(/000001_gtFine_labelIds\.png: corrupt PNG/);
    await loader.close();
  });

  it('runs in a worker thread from compiled JS, giving the same batches', async () => {
    // Compile the worker's import closure next to node_modules (ESM resolves packages upwards).
    const cache = resolve('.cache');
    mkdirSync(cache, { recursive: true });
    const out = mkdtempSync(join(cache, 'loader-worker-'));
    compiled.push(out);
    execFileSync(process.execPath, [
      resolve('node_modules/typescript/bin/tsc'), '--outDir', out, '--rootDir', 'src', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--target', 'es2022', '--strict', '--skipLibCheck', '--types', 'node', 'src/loader/loader-worker.ts',
    ]);
    writeFileSync(join(out, 'package.json'), '{"type":"module"}');
    const workerUrl = pathToFileURL(join(out, 'loader/loader-worker.js'));
    const viaWorker = new BatchLoader(config, epochPlan(5, 2, 3, 3), { seed: 9, workerUrl });
    expect(viaWorker.usesWorker).toBe(true);
    const a = await drain(viaWorker);
    const b = await drain(new BatchLoader(config, epochPlan(5, 2, 3, 3), { seed: 9, worker: false }));
    expect(a).toHaveLength(3);
    a.forEach((batch, i) => {
      expect(batch.images).toEqual(b[i]!.images);
      expect(batch.labels).toEqual(b[i]!.labels);
      expect(batch.regions).toEqual(b[i]!.regions);
    });
    const failing = new BatchLoader(config, (i) => (i === 0 ? [99] : null), { seed: 1, workerUrl });
    await expect(failing.next()).rejects.toThrow(/sample index 99 outside the split/);
    await failing.close();
  });
});
