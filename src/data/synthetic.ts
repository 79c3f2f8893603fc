// The embedded default dataset: seeded street scenes written in the Cityscapes layout, so the
// Cityscapes reader serves both. Each scene's seed is derived from (seed, split, index), so adding
// images to a split leaves the existing ones unchanged.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hashSeed, hashString } from './rng.js';
import { writeFileAtomic } from './atomic-write.js';
import { cityscapesImagePath, cityscapesLabelPath } from './cityscapes.js';
import { writeGreyPng, writeRgbPng } from './png.js';
import { generateScene, type Scene, type SceneSize } from './synthetic-scene.js';

export { generateScene, type Scene, type SceneSize } from './synthetic-scene.js';

/** Bumped whenever the generator's output changes, so `ensureSyntheticDataset` rewrites stale sets. */
export const SYNTHETIC_VERSION = 1;

export const SYNTHETIC_MANIFEST = 'alseg-synthetic.json';

export interface SyntheticOptions {
  seed: number;
  /** Number of images per split. */
  splits: Readonly<Record<string, number>>;
  height: number;
  width: number;
}

export const DEFAULT_SYNTHETIC: SyntheticOptions = { seed: 0, splits: { train: 24, val: 8 }, height: 128, width: 256 };

/** One city per split, like Cityscapes' per-city folders. */
export function syntheticCity(split: string): string {
  return `synth${split}`;
}

export function syntheticBaseName(split: string, index: number): string {
  return `${syntheticCity(split)}_000000_${String(index).padStart(6, '0')}`;
}

export function syntheticSceneSeed(seed: number, split: string, index: number): number {
  return hashSeed(seed, hashString(split), index);
}

export function generateSyntheticScene(opts: SyntheticOptions, split: string, index: number): Scene {
  const size: SceneSize = { height: opts.height, width: opts.width };
  return generateScene(syntheticSceneSeed(opts.seed, split, index), size);
}

export interface SyntheticProgress {
  split: string;
  index: number;
  total: number;
}

/** Writes every split, then the manifest (last, so an interrupted run is seen as incomplete). */
export function writeSyntheticDataset(root: string, opts: SyntheticOptions, onProgress?: (p: SyntheticProgress) => void): void {
  const total = Object.values(opts.splits).reduce((a, b) => a + b, 0);
  let done = 0;
  for (const [split, count] of Object.entries(opts.splits)) {
    for (let i = 0; i < count; i++) {
      const scene = generateSyntheticScene(opts, split, i);
      const base = syntheticBaseName(split, i);
      writeRgbPng(cityscapesImagePath(root, split, syntheticCity(split), base), scene.image);
      writeGreyPng(cityscapesLabelPath(root, split, syntheticCity(split), base), scene.labelIds);
      onProgress?.({ split, index: done++, total });
    }
    removeSurplusScenes(root, split, count);
  }
  writeFileAtomic(join(root, SYNTHETIC_MANIFEST), manifestText(opts));
}

/** Scenes beyond `count` left by an earlier, larger generation would otherwise join the split. */
function removeSurplusScenes(root: string, split: string, count: number): void {
  const city = syntheticCity(split);
  const pattern = new RegExp(`^${city}_000000_(\\d{6})_(leftImg8bit|gtFine_labelIds)\\.png$`);
  for (const dir of [dirname(cityscapesImagePath(root, split, city, 'x')), dirname(cityscapesLabelPath(root, split, city, 'x'))]) {
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)) {
      const m = pattern.exec(file);
      if (m && Number(m[1]) >= count) rmSync(join(dir, file));
    }
  }
}

function manifestText(opts: SyntheticOptions): string {
  return `${JSON.stringify({ version: SYNTHETIC_VERSION, seed: opts.seed, splits: opts.splits, height: opts.height, width: opts.width }, null, 2)}\n`;
}

/**
 * Generates the set unless `root` already holds one written with the same version and options.
 * Returns whether it wrote anything.
 */
export function ensureSyntheticDataset(root: string, opts: SyntheticOptions = DEFAULT_SYNTHETIC, onProgress?: (p: SyntheticProgress) => void): boolean {
  let existing: string | null = null;
  try {
    existing = readFileSync(join(root, SYNTHETIC_MANIFEST), 'utf8');
  } catch {
    existing = null;
  }
  if (existing === manifestText(opts)) return false;
  writeSyntheticDataset(root, opts, onProgress);
  return true;
}
