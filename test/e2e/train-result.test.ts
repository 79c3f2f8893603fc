// What `node dist/cli.js train` computes, pinned against values derived here without the code
// under test (the resume and determinism tests only compare runs of the same code with each other):
// - the oracle's answers: each labelled region's classes re-read from the ground truth and the
//   superpixels the run cached, by the rule of docs/method.md written out again below;
// - the clicks: one per answered class, the round's budget filled as the selection rule says;
// - the metrics: the saved prediction PNGs of every validation image re-evaluated in float64
//   against the ground truth (per-class IoU, mIoU both ways, pixel accuracy), and the saved
//   pseudo-labels' coverage and accuracy, and where pseudo-labels may and may not be;
// - learning: stage 1 after 80 iterations is clearly better than the untrained model (the run's
//   initial weights) on the same validation images.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../../src/al/config.js';
import { labelMap, predictImage } from '../../src/al/inference.js';
import { openCityscapes } from '../../src/data/cityscapes.js';
import type { Dataset } from '../../src/data/dataset.js';
import { tidy } from '../../src/engine/tensor.js';
import { initialModel } from '../../src/run/run-data.js';
import { defaultSuperpixelCacheDir, readCachedRegions } from '../../src/superpixels/cache.js';
import type { RegionMap } from '../../src/superpixels/region-map.js';
import { runCli } from '../cli-process.js';
import { useEngine } from '../helpers.js';

useEngine();

const base = mkdtempSync(join(tmpdir(), 'alseg-train-result-'));
const root = join(base, 'data');
const out = join(base, 'run');
const BUDGET = 120;
// 80 iterations of 4 x 64 px crops at lr 4e-3 took stage 1 from 0.8% (untrained) to 7.8% mIoU on
// the 2 validation images of 6x2@64x128 (lavapipe, 10 s); 4 validation images here.
const ARGS = [
  'train', '--root', root, '--synthetic-size', '6x4@64x128', '--rounds', '1', '--budget', String(BUDGET),
  '--iterations', '80', '--lr', '4e-3', '--stage2-iterations', '10', '--batch', '4', '--crop', '64',
  '--visualise', '4', '--seed', '0', '--out', out,
];

interface Labelled {
  image: number;
  region: number;
  mask: number;
  clicks: number;
  round: number;
}
interface Scores {
  miou: number;
  miouAllClasses: number;
  pixelAccuracy: number;
  perClass: (number | null)[];
}

const bits = (mask: number) => [...Array(32).keys()].filter((k) => mask & (1 << k));

function readPng(file: string): { width: number; height: number; rgba: Buffer } {
  const png = PNG.sync.read(readFileSync(file));
  return { width: png.width, height: png.height, rgba: png.data };
}

/**
 * The multi-class answer of docs/method.md ("Oracle simulation"): the classes of the region's
 * pixels farther than 2 px (Chebyshev) from any pixel that has a 4-neighbour in another region, or
 * of all its pixels when none is; void is the undefined class `voidClass`.
 */
function expectedAnswer(map: RegionMap, gt: Uint8Array, region: number, voidClass: number): number {
  const { width: w, height: h, ids } = map;
  const edge = (x: number, y: number) => {
    const a = ids[y * w + x];
    return (x > 0 && ids[y * w + x - 1] !== a) || (x + 1 < w && ids[y * w + x + 1] !== a) || (y > 0 && ids[(y - 1) * w + x] !== a) || (y + 1 < h && ids[(y + 1) * w + x] !== a);
  };
  const nearEdge = (x: number, y: number) => {
    for (let dy = -2; dy <= 2; dy++)
      for (let dx = -2; dx <= 2; dx++) {
        const [u, v] = [x + dx, y + dy];
        if (u >= 0 && u < w && v >= 0 && v < h && edge(u, v)) return true;
      }
    return false;
  };
  let inner = 0;
  let all = 0;
  let interior = false;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if (ids[y * w + x] !== region) continue;
      const g = gt[y * w + x];
      const bit = 1 << (g === 255 ? voidClass : g);
      all |= bit;
      if (!nearEdge(x, y)) {
        inner |= bit;
        interior = true;
      }
    }
  return (interior ? inner : all) >>> 0;
}

/** Float64 scores of a confusion matrix (rows truth), the definitions in docs/method.md. */
function scores(cm: number[][]): Scores {
  const C = cm.length;
  const row = (c: number) => cm[c].reduce((a, b) => a + b, 0);
  const col = (c: number) => cm.reduce((a, r) => a + r[c], 0);
  const iou = [...Array(C).keys()].map((c) => (row(c) + col(c) - cm[c][c] > 0 ? cm[c][c] / (row(c) + col(c) - cm[c][c]) : NaN));
  const present = iou.filter((v) => !Number.isNaN(v));
  const total = [...Array(C).keys()].reduce((a, c) => a + row(c), 0);
  return {
    miou: present.reduce((a, b) => a + b, 0) / present.length,
    miouAllClasses: iou.reduce((a, v, c) => a + (row(c) > 0 ? v : 1), 0) / C,
    pixelAccuracy: cm.reduce((a, r, c) => a + r[c], 0) / total,
    perClass: iou.map((v) => (Number.isNaN(v) ? null : v)),
  };
}

function confusion(classes: number, pairs: Iterable<[number, number]>): number[][] {
  const cm = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (const [t, p] of pairs) if (t !== 255) cm[t][p]++;
  return cm;
}

/** A colour PNG of predictions back to class ids by the dataset's palette (every colour must be one). */
function decodePrediction(file: string, ds: Dataset): Uint8Array {
  const byColour = new Map<number, number>();
  for (let c = ds.numClasses - 1; c >= 0; c--) byColour.set((ds.palette[3 * c] << 16) | (ds.palette[3 * c + 1] << 8) | ds.palette[3 * c + 2], c);
  const { width, height, rgba } = readPng(file);
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) {
    const c = byColour.get((rgba[4 * i] << 16) | (rgba[4 * i + 1] << 8) | rgba[4 * i + 2]);
    if (c === undefined) throw new Error(`${file}: pixel ${i} has a colour of no class`);
    out[i] = c;
  }
  return out;
}

function expectScores(got: Scores, want: Scores, what: string): void {
  expect(got.perClass.length, what).toBe(want.perClass.length);
  got.perClass.forEach((v, c) => (want.perClass[c] === null ? expect(v, `${what} class ${c}`).toBeNull() : expect(v, `${what} class ${c}`).toBeCloseTo(want.perClass[c]!, 12)));
  for (const k of ['miou', 'miouAllClasses', 'pixelAccuracy'] as const) expect(got[k], `${what} ${k}`).toBeCloseTo(want[k], 12);
}

describe('alseg train computes what its definitions say', () => {
  it('a seeded run: answers, clicks and metrics re-derived independently; stage 1 learns', async () => {
    // The run took 23 s on 2 cores at load 12, about 40 s at load 26: room for a busier machine.
    const r = await runCli(ARGS, { cwd: base, timeoutMs: 240_000 });
    expect(r.code, r.output).toBe(0);
    const train = openCityscapes(root, 'train', 'synthetic');
    const val = openCityscapes(root, 'val', 'synthetic');
    const C = train.numClasses;
    const records = JSON.parse(readFileSync(join(out, 'labels', 'round-1.json'), 'utf8')) as Labelled[];
    const metrics = (JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { rounds: (Record<string, unknown> & { stage1: Scores; stage2: Scores; pseudo: { coverage: number; accuracy: number } })[] }).rounds;
    expect(metrics).toHaveLength(1);
    const m = metrics[0];

    // Answers: the superpixels the run cached (in its working directory) and the ground truth.
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as RunConfig;
    const spec = cfg.superpixels;
    const cacheDir = defaultSuperpixelCacheDir(train, spec, join(base, '.cache', 'superpixels'));
    const maps = train.samples.map((s) => readCachedRegions(cacheDir, s, spec));
    expect(maps.every((x) => x !== null), `superpixel cache in ${cacheDir}`).toBe(true);
    const gts = train.samples.map((s) => train.load(s).label);
    for (const rec of records) {
      expect(rec.mask, `image ${rec.image} region ${rec.region}`).toBe(expectedAnswer(maps[rec.image]!, gts[rec.image], rec.region, C));
      expect(rec.clicks).toBe(bits(rec.mask).length);
      expect(rec.round).toBe(1);
    }
    expect(new Set(records.map((x) => `${x.image}:${x.region}`)).size).toBe(records.length);

    // Clicks: regions are taken in order until the budget is reached, so the last one may pass it.
    const clicks = records.reduce((a, x) => a + x.clicks, 0);
    expect(clicks).toBeGreaterThanOrEqual(BUDGET);
    expect(clicks - records[records.length - 1].clicks).toBeLessThan(BUDGET);
    expect([m.clicks, m.totalClicks, m.regions]).toEqual([clicks, clicks, records.length]);
    expect(m.multiClassShare).toBeCloseTo(records.filter((x) => x.clicks > 1).length / records.length, 12);

    // Metrics: every validation image's saved predictions against its ground truth.
    const truth = val.samples.map((s) => val.load(s).label);
    const predictions = (stage: string) => val.samples.map((s) => decodePrediction(join(out, 'vis', 'round-1', `${s.id.replace(/[\\/]+/g, '_')}-${stage}.png`), val));
    const pairsOf = (pred: Uint8Array[]) => pred.flatMap((p, k) => Array.from(p, (v, i): [number, number] => [truth[k][i], v]));
    const stage1 = scores(confusion(C, pairsOf(predictions('stage1'))));
    expectScores(m.stage1, stage1, 'stage 1');
    expectScores(m.stage2, scores(confusion(C, pairsOf(predictions('stage2')))), 'stage 2');

    // Pseudo-labels of the labelled images: coverage and accuracy (void is the undefined class C),
    // and where they may be: in a labelled region one of its answered classes; in a region next to
    // a labelled one (8-connected) nothing or a class of such a neighbour; elsewhere nothing.
    const images = [...new Set(records.map((x) => x.image))].sort((a, b) => a - b);
    let [total, covered, right] = [0, 0, 0];
    for (const img of images) {
      const file = join(out, 'pseudo', 'round-1', `${train.samples[img].id}.png`);
      expect(existsSync(file), file).toBe(true);
      const { rgba } = readPng(file);
      const map = maps[img]!;
      const masks = new Map(records.filter((x) => x.image === img).map((x) => [x.region, x.mask]));
      const reachable = new Map<number, number>();
      for (let p = 0; p < map.ids.length; p++) {
        const mask = masks.get(map.ids[p]);
        if (mask === undefined) continue;
        const [x, y] = [p % map.width, Math.floor(p / map.width)];
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const [u, v] = [x + dx, y + dy];
            if (u < 0 || u >= map.width || v < 0 || v >= map.height) continue;
            const q = map.ids[v * map.width + u];
            if (!masks.has(q)) reachable.set(q, (reachable.get(q) ?? 0) | mask);
          }
      }
      for (let p = 0; p < map.ids.length; p++) {
        const label = rgba[4 * p];
        const g = gts[img][p] === 255 ? C : gts[img][p];
        total++;
        if (label !== 255) {
          covered++;
          if (label === g) right++;
        }
        const own = masks.get(map.ids[p]);
        const allowed = own ?? reachable.get(map.ids[p]) ?? 0;
        if (own !== undefined) expect(label !== 255 && (own & (1 << label)) !== 0, `image ${img} pixel ${p}: ${label} is not in its region's answer`).toBe(true);
        else if (label !== 255) expect(allowed & (1 << label), `image ${img} pixel ${p}: ${label} from no labelled neighbour`).not.toBe(0);
      }
    }
    expect(m.pseudo.coverage).toBeCloseTo(covered / total, 12);
    expect(m.pseudo.accuracy).toBeCloseTo(right / covered, 12);

    // Learning: the run's initial weights on the same validation images, scored the same way.
    const model = await initialModel(cfg, train);
    const untrainedPred: Uint8Array[] = [];
    for (const s of val.samples) {
      const loaded = val.load(s);
      untrainedPred.push(await tidy(async () => labelMap(predictImage(model, loaded).logits, C, loaded)));
    }
    model.dispose();
    const untrained = scores(confusion(C, pairsOf(untrainedPred)));
    console.log(`stage-1 mIoU after 80 iterations ${(100 * stage1.miou).toFixed(2)}%, untrained ${(100 * untrained.miou).toFixed(2)}%; pixel accuracy ${(100 * stage1.pixelAccuracy).toFixed(1)}% vs ${(100 * untrained.pixelAccuracy).toFixed(1)}%`);
    expect(stage1.miou).toBeGreaterThan(untrained.miou + 0.03);
    expect(stage1.pixelAccuracy).toBeGreaterThan(untrained.pixelAccuracy + 0.1);
  }, 300_000);
});
