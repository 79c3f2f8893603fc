// A user study of annotation cost on a labelled dataset, as in the paper's Appendix A: regions
// grouped by the number of classes they hold (1, 2, 3; regions with void or undefined-class pixels
// left out), n of each drawn at random, shown in two forms: dominant-class and multi-class queries.
// The regions are cut into two halves of the same make-up; each annotator answers one half in one
// form and the other half in the other (never a region twice), and the next annotator the other
// way round, so with two annotators every region is answered in both forms, each form first for
// one of them. What it leaves in the study folder:
//   study.json                 the settings and each region: image, box, window, its true classes
//   queries/study/q<id>.png    its pictures, as a run's queries have them (run/human/crops.ts)
//   answers/study-<name>.json  each annotator's answers (study-book.ts)
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG, type Labelling } from '../al/config.js';
import type { DatasetKind } from '../data/dataset.js';
import { openDataset } from '../data/open-dataset.js';
import { writeRgbPng } from '../data/png.js';
import { hashSeed, Rng } from '../data/rng.js';
import { buildSuperpixelCache, defaultSuperpixelCacheDir, loadRegions } from '../superpixels/cache.js';
import type { SuperpixelSpec } from '../superpixels/compute.js';
import { contextImage, queryWindow, regionBox, regionPatch } from '../run/human/crops.js';
import type { Query } from '../run/human/queries.js';
import { readJson, writeJson } from '../run/run-directory.js';
import { regionTruths } from './region-truth.js';

/** The groups of the paper's Table 3: regions holding 1, 2 or 3 classes. */
export const STUDY_GROUPS = [1, 2, 3] as const;

export interface StudyRegion extends Query {
  /** The classes present in the region, ascending, and the one covering most of its pixels. */
  truth: number[];
  dominant: number;
  /** The half of the study it belongs to (see studyForm). */
  half: 0 | 1;
}

export interface StudyFile {
  version: 1;
  dataset: { kind: DatasetKind; root: string; split: string };
  superpixels: SuperpixelSpec;
  perGroup: number;
  seed: number;
  classes: { name: string; colour: [number, number, number] }[];
  /** Ids 0..3n-1 in the order shown: half 0, then half 1, each shuffled (groups mixed). */
  regions: StudyRegion[];
}

export interface StudyRequest {
  dir: string;
  perGroup: number;
  dataset: DatasetKind;
  root: string;
  /** Default: 'val' for a folder (its labelled split), else 'train'. */
  split?: string;
  seed?: number;
}

export const studyFile = (dir: string) => join(dir, 'study.json');
export const studyImageDir = (dir: string) => join(dir, 'queries', 'study');

/** The form an annotator of parity `parity` (0 for the 1st, 3rd, ... annotator) answers a half in. */
export function studyForm(half: 0 | 1, parity: 0 | 1): Labelling {
  return half === parity ? 'dominant' : 'multi';
}

export function readStudy(dir: string): StudyFile {
  const file = studyFile(dir);
  const s = readJson<StudyFile>(file);
  if (s.version !== 1 || !Array.isArray(s.regions) || !Array.isArray(s.classes)) throw new Error(`${file}: not a study written by alseg annotate --study`);
  return s;
}

/**
 * Draws the study's regions and writes their pictures and study.json; a folder that already holds
 * the same study is kept as it is (answers included). Everything is checked before anything is
 * written: a folder holding something else, an unlabelled split, a group with too few regions.
 */
export async function createStudy(req: StudyRequest, onProgress: (done: number, total: number) => void = () => undefined): Promise<StudyFile> {
  const { dir, perGroup } = req;
  if (!Number.isInteger(perGroup) || perGroup < 1 || perGroup > 10_000) throw new Error(`--study: regions per group must be a whole number from 1, got ${perGroup}`);
  const split = req.split ?? (req.dataset === 'folder' ? 'val' : 'train');
  const seed = req.seed ?? 0;
  const settings = { dataset: { kind: req.dataset, root: req.root, split }, perGroup, seed };
  if (existsSync(studyFile(dir))) {
    const old = readStudy(dir);
    const was = JSON.stringify({ dataset: old.dataset, perGroup: old.perGroup, seed: old.seed });
    if (was !== JSON.stringify(settings)) throw new Error(`${studyFile(dir)}: the study there was made with ${was}, not ${JSON.stringify(settings)}: serve it with annotate --out ${dir} alone, or choose another --out`);
    return old;
  }
  if (existsSync(join(dir, 'config.json'))) throw new Error(`${dir} holds a run (config.json): a study needs a folder of its own`);
  // queries/ alone is what an interrupted study leaves (study.json is written last): made again.
  if (existsSync(dir) && readdirSync(dir).some((f) => f !== 'queries')) throw new Error(`${dir} is not empty: a study needs a new folder`);

  const ds = openDataset(req.dataset, req.root, split);
  if (ds.labelled === false) throw new Error(`${req.root}: the ${split} split has no labels; a study needs ground truth${req.dataset === 'folder' ? ' (a folder\'s labelled split is val/)' : ''}`);
  const spec = DEFAULT_CONFIG.superpixels;
  const cacheDir = defaultSuperpixelCacheDir(ds, spec);
  await buildSuperpixelCache(ds, spec, cacheDir);
  const groups = STUDY_GROUPS.map(() => [] as { image: number; region: number; truth: number[]; dominant: number }[]);
  ds.samples.forEach((sample, image) => {
    const { map } = loadRegions(ds, sample, cacheDir, spec);
    const { label } = ds.load(sample);
    regionTruths(map.ids, map.count, label, ds.numClasses).forEach((t, region) => {
      if (!t.void && t.classes.length >= 1 && t.classes.length <= STUDY_GROUPS.length) groups[t.classes.length - 1]!.push({ image, region, truth: t.classes, dominant: t.dominant });
    });
    onProgress(image + 1, ds.samples.length);
  });
  const short = groups.map((g, k) => ({ k: k + 1, n: g.length })).filter((g) => g.n < perGroup);
  if (short.length) {
    throw new Error(`${req.root} (${split}): too few regions for --study ${perGroup}: ${short.map((g) => `${g.n} with ${g.k} class${g.k > 1 ? 'es' : ''}`).join(', ')} (regions with void pixels left out); ask for fewer`);
  }
  // n of each group at random, alternately into the two halves; each half shuffled so groups mix.
  const rng = new Rng(hashSeed(seed, 0x57d4));
  const halves: [typeof groups[0], typeof groups[0]] = [[], []];
  for (const g of groups) rng.shuffle(g).slice(0, perGroup).forEach((c, i) => halves[i % 2]!.push(c));
  const chosen = halves.flatMap((h, half) => rng.shuffle(h).map((c) => ({ ...c, half: half as 0 | 1 })));

  const regions: StudyRegion[] = [];
  const imgDir = studyImageDir(dir);
  for (const image of [...new Set(chosen.map((c) => c.image))]) {
    const loaded = ds.load(ds.samples[image]!);
    const rgb = { width: loaded.width, height: loaded.height, data: loaded.image };
    const { map } = loadRegions(ds, ds.samples[image]!, cacheDir, spec);
    chosen.forEach((c, id) => {
      if (c.image !== image) return;
      const { bbox, pixels } = regionBox(map, c.region);
      const window = queryWindow(bbox, map.width, map.height);
      writeRgbPng(join(imgDir, `q${id}.png`), regionPatch(rgb, map, c.region, window));
      writeRgbPng(join(imgDir, `q${id}-context.png`), contextImage(rgb, window));
      regions[id] = { id, image, sample: ds.samples[image]!.id, region: c.region, bbox, pixels, window, truth: c.truth, dominant: c.dominant, half: c.half };
    });
  }
  const classes = ds.classNames.map((name, c) => ({ name, colour: [ds.palette[3 * c]!, ds.palette[3 * c + 1]!, ds.palette[3 * c + 2]!] as [number, number, number] }));
  const study: StudyFile = { version: 1, ...settings, superpixels: spec, classes, regions };
  // Written last: a study folder without study.json is an interrupted one, made again next time.
  writeJson(studyFile(dir), study, 1);
  return study;
}
