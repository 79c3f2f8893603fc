import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CITYSCAPES_LABEL_TO_TRAIN, TRAIN_ID } from '../../src/data/cityscapes-labels.js';
import { openCityscapes } from '../../src/data/cityscapes.js';
import { checkDataset } from '../../src/data/check.js';
import {
  DEFAULT_SYNTHETIC, ensureSyntheticDataset, generateSyntheticScene, writeSyntheticDataset, type SyntheticOptions,
} from '../../src/data/synthetic.js';
import { tempDir } from './fixtures.js';

function filesUnder(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(root, p), readFileSync(p));
    }
  };
  walk(root);
  return out;
}

const SMALL: SyntheticOptions = { seed: 3, splits: { train: 3, val: 2 }, height: 64, width: 128 };

describe('synthetic street scenes', () => {
  it('writes the Cityscapes layout, byte-identical for the same seed', () => {
    const a = tempDir('syn');
    const b = tempDir('syn');
    const c = tempDir('syn');
    writeSyntheticDataset(a, SMALL);
    writeSyntheticDataset(b, SMALL);
    writeSyntheticDataset(c, { ...SMALL, seed: 4 });
    const fa = filesUnder(a);
    const fb = filesUnder(b);
    expect([...fa.keys()]).toContain('leftImg8bit/train/synthtrain/synthtrain_000000_000002_leftImg8bit.png');
    expect([...fa.keys()]).toContain('gtFine/val/synthval/synthval_000000_000001_gtFine_labelIds.png');
    expect(fa.size).toBe(2 * 5 + 1);
    for (const [k, v] of fa) expect(v.equals(fb.get(k)!), k).toBe(true);
    const fc = filesUnder(c);
    const key = 'leftImg8bit/train/synthtrain/synthtrain_000000_000000_leftImg8bit.png';
    expect(fa.get(key)!.equals(fc.get(key)!)).toBe(false);

    const ds = openCityscapes(a, 'train', 'synthetic');
    expect(ds.samples).toHaveLength(3);
    const s = ds.load(ds.samples[0]!);
    expect([s.width, s.height]).toEqual([128, 64]);
    expect(checkDataset('synthetic', a, ['train', 'val']).problems).toEqual([]);
  });

  it('regenerates only when the options change', () => {
    const root = tempDir('syn');
    expect(ensureSyntheticDataset(root, SMALL)).toBe(true);
    expect(ensureSyntheticDataset(root, SMALL)).toBe(false);
    expect(ensureSyntheticDataset(root, { ...SMALL, splits: { train: 4, val: 2 } })).toBe(true);
    expect(openCityscapes(root, 'train').samples).toHaveLength(4);
    // Fewer scenes than before: the surplus files go, so the split matches the manifest.
    expect(ensureSyntheticDataset(root, { ...SMALL, splits: { train: 2, val: 2 } })).toBe(true);
    expect(openCityscapes(root, 'train').samples).toHaveLength(2);
    expect(checkDataset('synthetic', root, ['train']).problems).toEqual([]);
  });

  it('has Cityscapes-like statistics: >= 10 classes, rare classes, void, mixed 32x32 cells', () => {
    const counts = new Float64Array(256);
    let cells = 0;
    let mixed = 0;
    const n = 8;
    for (let i = 0; i < n; i++) {
      const { labelIds } = generateSyntheticScene(DEFAULT_SYNTHETIC, 'train', i);
      const { width: W, height: H, data } = labelIds;
      expect([W, H]).toEqual([256, 128]);
      for (const v of data) counts[CITYSCAPES_LABEL_TO_TRAIN[v]!]! += 1;
      for (let cy = 0; cy < H; cy += 32) {
        for (let cx = 0; cx < W; cx += 32) {
          const set = new Set<number>();
          for (let y = cy; y < cy + 32; y++) for (let x = cx; x < cx + 32; x++) set.add(data[y * W + x]!);
          cells++;
          if (set.size >= 2) mixed++;
        }
      }
    }
    const total = n * 256 * 128;
    const share = (t: number): number => counts[t]! / total;
    const present = [...Array(19).keys()].filter((t) => counts[t]! > 0);
    expect(present.length).toBeGreaterThanOrEqual(10);
    expect(share(255)).toBeGreaterThan(0.005);
    // Large classes dominate, thin/small ones are rare (Cityscapes: road 37%, traffic light 0.2%).
    expect(share(TRAIN_ID.road) + share(TRAIN_ID.building)).toBeGreaterThan(0.3);
    expect(share(TRAIN_ID['traffic light'])).toBeLessThan(0.01);
    expect(share(TRAIN_ID.pole)).toBeLessThan(0.03);
    expect(mixed / cells).toBeGreaterThan(0.5);
  });

  it('gives classes overlapping colours (colour alone does not identify the class)', () => {
    // Mean grey level of road vs building pixels over several scenes: their ranges must overlap.
    const means: Record<string, number[]> = { road: [], building: [], car: [] };
    for (let i = 0; i < 10; i++) {
      const { image, labelIds } = generateSyntheticScene(DEFAULT_SYNTHETIC, 'val', i);
      for (const name of ['road', 'building', 'car'] as const) {
        let sum = 0;
        let cnt = 0;
        for (let p = 0; p < labelIds.data.length; p++) {
          if (CITYSCAPES_LABEL_TO_TRAIN[labelIds.data[p]!] !== TRAIN_ID[name]) continue;
          sum += (image.data[3 * p]! + image.data[3 * p + 1]! + image.data[3 * p + 2]!) / 3;
          cnt++;
        }
        if (cnt > 0) means[name]!.push(sum / cnt);
      }
    }
    const range = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];
    const [rl, rh] = range(means.road!);
    const [bl, bh] = range(means.building!);
    expect(Math.min(rh, bh) - Math.max(rl, bl)).toBeGreaterThan(0);
  });
});
