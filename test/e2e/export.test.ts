// `node dist/cli.js export` as a user runs it, on a one-round run of the synthetic set (simulated
// multi-class oracle, a few iterations: ~4 s on lavapipe). Round trips: every exported PNG read back
// through alseg's own dataset readers (Cityscapes labelIds, VOC SegmentationClass, the folder
// dataset's label PNGs) gives the maps the test builds itself from the run's files (labels/round-1.json
// with the region maps, pseudo/round-1/, and the predictions of `alseg predict` on the same images);
// COCO RLE and the candidate sets' masks are decoded by a decoder written here, not the encoder's
// code. Bad requests fail with the reason and write nothing.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/al/config.js';
import type { LabelledRegion } from '../../src/al/pool.js';
import { CITYSCAPES_PALETTE } from '../../src/data/cityscapes-labels.js';
import { cityscapesReader } from '../../src/data/cityscapes.js';
import { folderReader } from '../../src/data/folder.js';
import { openDataset } from '../../src/data/open-dataset.js';
import { readIndexPng, readRgbPng } from '../../src/data/png.js';
import { vocColorMap } from '../../src/data/voc-labels.js';
import { vocReader } from '../../src/data/voc.js';
import { defaultSuperpixelCacheDir, loadRegions } from '../../src/superpixels/cache.js';
import type { RegionMap } from '../../src/superpixels/region-map.js';
import { runCli } from '../cli-process.js';

const base = mkdtempSync(join(tmpdir(), 'alseg-export-'));
const run = join(base, 'run');
const C = 19;

interface Truth {
  ids: string[];
  images: string[];
  regions: RegionMap[];
  records: LabelledRegion[][];
  labels: Uint8Array[];
  pseudo: Uint8Array[];
  predictions: Uint8Array[];
}
let truth: Truth;

/** Decodes COCO's uncompressed RLE: runs alternate from 0, the mask read down each column. */
function decodeRle(rle: { size: [number, number]; counts: number[] }): Uint8Array {
  const [h, w] = rle.size;
  const out = new Uint8Array(h * w);
  let k = 0;
  rle.counts.forEach((n, j) => {
    for (let t = 0; t < n; t++, k++) if (j % 2 === 1) out[(k % h) * w + Math.floor(k / h)] = 1;
  });
  expect(k, 'RLE counts cover the image').toBe(h * w);
  return out;
}

const regionMask = (map: RegionMap, r: number) => Uint8Array.from(map.ids, (v) => (v === r ? 1 : 0));

/** Two maps agree pixel for pixel (a count and the first difference on failure; fast on large maps). */
function expectSameMap(got: Uint8Array, want: Uint8Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  let differ = 0;
  let first = -1;
  for (let i = 0; i < want.length; i++) {
    if (got[i] === want[i]) continue;
    if (first < 0) first = i;
    differ++;
  }
  expect(differ, `${what}: ${differ} pixels differ, the first at ${first} (${got[first]} instead of ${want[first]})`).toBe(0);
}

beforeAll(async () => {
  const trained = await runCli(['train', '--synthetic-size', '2x1@96x192', '--root', join(base, 'data'), '--rounds', '1', '--budget', '40', '--iterations', '2', '--stage2-iterations', '2', '--batch', '2', '--crop', '48', '--visualise', '0', '--out', run]);
  expect(trained.code, trained.output).toBe(0);
  // The maps the export must hold, built here from the run's files.
  const cfg: RunConfig = { ...DEFAULT_CONFIG, ...(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as RunConfig) };
  const train = openDataset(cfg.dataset, cfg.root, 'train');
  const all = JSON.parse(readFileSync(join(run, 'labels', 'round-1.json'), 'utf8')) as LabelledRegion[];
  const images = [...new Set(all.filter((r) => r.mask !== 0).map((r) => r.image))].sort((a, b) => a - b);
  const cache = defaultSuperpixelCacheDir(train, cfg.superpixels);
  const regions = images.map((i) => loadRegions(train, train.samples[i]!, cache, cfg.superpixels).map);
  const records = images.map((i) => all.filter((r) => r.image === i && r.mask !== 0));
  const labels = images.map((_, k) => {
    const single = new Map(records[k]!.filter((r) => (r.mask & (r.mask - 1)) === 0 && r.mask < 1 << C).map((r) => [r.region, Math.log2(r.mask)]));
    return Uint8Array.from(regions[k]!.ids, (id) => single.get(id) ?? 255);
  });
  const ids = images.map((i) => train.samples[i]!.id);
  const pseudo = ids.map((id) => Uint8Array.from(readIndexPng(join(run, 'pseudo', 'round-1', `${id}.png`)).data, (v) => (v < C ? v : 255)));
  // The predictions of the round's final model, from `alseg predict`'s colour PNGs.
  const paths = images.map((i) => train.samples[i]!.imagePath);
  const predicted = await runCli(['predict', '--checkpoint', join(run, 'checkpoints', 'round-1-stage2.safetensors'), '--out', join(base, 'predict'), ...paths]);
  expect(predicted.code, predicted.output).toBe(0);
  const colour = new Map(Array.from({ length: C }, (_, c) => [CITYSCAPES_PALETTE.slice(3 * c, 3 * c + 3).join(','), c]));
  const predictions = paths.map((p) => {
    const rgb = readRgbPng(join(base, 'predict', `${p.split('/').pop()!.replace(/\.png$/, '')}-pred.png`));
    return Uint8Array.from({ length: rgb.width * rgb.height }, (_, i) => colour.get(Array.from(rgb.data.subarray(3 * i, 3 * i + 3)).join(','))!);
  });
  truth = { ids, images: paths, regions, records, labels, pseudo, predictions };
  // The run has both kinds of regions, so both paths of the export are exercised.
  expect(labels.some((m) => m.some((v) => v !== 255))).toBe(true);
  expect(records.flat().some((r) => (r.mask & (r.mask - 1)) !== 0)).toBe(true);
}, 120_000);

async function exportAs(format: string, extra: string[] = []): Promise<string> {
  const to = join(base, `export-${format}`);
  const r = await runCli(['export', '--out', run, '--format', format, '--to', to, ...extra]);
  expect(r.code, r.output).toBe(0);
  expect(r.output).toContain(`exported round 1 of ${run} as ${format} to ${to}: labels, pseudo-labels, predictions of ${truth.ids.length} images`);
  return to;
}

type Kind = 'labels' | 'pseudo' | 'predictions';
const KINDS: Kind[] = ['labels', 'pseudo', 'predictions'];

/** The candidate sets match the run's multi-class regions, their masks decoded here. */
function checkCandidates(to: string): void {
  const doc = JSON.parse(readFileSync(join(to, 'labels', 'candidates.json'), 'utf8')) as { images: { id: string; regions: { region: number; classes: number[]; void: boolean; rle: { size: [number, number]; counts: number[] } }[] }[] };
  expect(doc.images.map((i) => i.id)).toEqual(truth.ids);
  doc.images.forEach((im, k) => {
    const multi = truth.records[k]!.filter((r) => (r.mask & (r.mask - 1)) !== 0 || r.mask >= 1 << C);
    expect(im.regions.map((r) => r.region)).toEqual(multi.map((r) => r.region).sort((a, b) => a - b));
    for (const r of im.regions) {
      const mask = multi.find((m) => m.region === r.region)!.mask;
      expect(r.classes).toEqual(Array.from({ length: C }, (_, c) => c).filter((c) => mask & (1 << c)));
      expect(r.void).toBe((mask & (1 << C)) !== 0);
      expectSameMap(decodeRle(r.rle), regionMask(truth.regions[k]!, r.region), `candidate region ${r.region}`);
    }
  });
}

describe('alseg export', () => {
  it('png: class-index PNGs read back through the folder dataset reader', async () => {
    const to = await exportAs('png');
    const reader = folderReader(C);
    for (const kind of KINDS) truth.ids.forEach((id, k) => expectSameMap(reader.readLabel(join(to, kind, `${id}.png`)).data, truth[kind][k]!, `${kind} ${id}`));
    checkCandidates(to);
    const manifest = JSON.parse(readFileSync(join(to, 'export.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ round: 1, format: 'png', images: truth.ids.length, labels: 'labels/', pseudo: 'pseudo/', predictions: 'predictions/', notes: [] });
  });

  it('cityscapes: labelIds through the Cityscapes reader, and labelTrainIds', async () => {
    const to = await exportAs('cityscapes');
    for (const kind of KINDS) {
      truth.ids.forEach((id, k) => {
        const stem = join(to, kind, 'gtFine', 'train', id);
        expectSameMap(cityscapesReader.readLabel(`${stem}_gtFine_labelIds.png`).data, truth[kind][k]!, `${kind} ${id} labelIds`);
        expectSameMap(readIndexPng(`${stem}_gtFine_labelTrainIds.png`).data, truth[kind][k]!, `${kind} ${id} trainIds`);
      });
    }
    checkCandidates(to);
  });

  it('voc: palette PNGs with the VOC colour map through the VOC reader, with the split list', async () => {
    const to = await exportAs('voc');
    for (const kind of KINDS) {
      truth.ids.forEach((id, k) => {
        const file = join(to, kind, 'SegmentationClass', `${id}.png`);
        expectSameMap(vocReader.readLabel(file).data, truth[kind][k]!, `${kind} ${id}`);
        expect(readIndexPng(file).paletted).toBe(true);
      });
      expect(readFileSync(join(to, kind, 'ImageSets', 'Segmentation', 'train.txt'), 'utf8')).toBe(truth.ids.map((i) => `${i}\n`).join(''));
    }
    const labelmap = readFileSync(join(to, 'labels', 'labelmap.txt'), 'utf8').trim().split('\n');
    const voc = vocColorMap(3);
    expect(labelmap.slice(0, 3)).toEqual(['# label:color_rgb:parts:actions', `road:${voc.slice(0, 3).join(',')}::`, `sidewalk:${voc.slice(3, 6).join(',')}::`]);
    expect(labelmap).toHaveLength(C + 1);
  });

  it('coco: one RLE annotation per region and class, and per class present in the pseudo-labels and predictions', async () => {
    const to = await exportAs('coco');
    interface Ann { image_id: number; category_id: number; area: number; bbox: number[]; segmentation: { size: [number, number]; counts: number[] }; attributes?: { region: number; candidates: number[]; void: boolean } }
    const read = (kind: Kind) => JSON.parse(readFileSync(join(to, `${kind}.json`), 'utf8')) as { images: { id: number; file_name: string; width: number; height: number }[]; annotations: Ann[]; categories: { id: number; name: string }[] };
    for (const kind of KINDS) {
      const coco = read(kind);
      expect(coco.categories.slice(0, 2)).toEqual([{ id: 1, name: 'road', supercategory: '' }, { id: 2, name: 'sidewalk', supercategory: '' }]);
      expect(coco.images.map((i) => join(base, 'data', i.file_name))).toEqual(truth.images);
      new Set(coco.annotations.map((a) => a.category_id)).forEach((id) => expect(id >= 1 && id <= C).toBe(true));
      coco.images.forEach((im, k) => {
        const anns = coco.annotations.filter((a) => a.image_id === im.id);
        const map = new Uint8Array(im.width * im.height).fill(255);
        for (const a of anns) {
          const mask = decodeRle(a.segmentation);
          expect(a.area).toBe(mask.reduce((s, v) => s + v, 0));
          if (kind === 'labels') {
            const { region, candidates } = a.attributes!;
            expectSameMap(mask, regionMask(truth.regions[k]!, region), `annotation of region ${region}`);
            const rec = truth.records[k]!.find((r) => r.region === region)!;
            expect(rec.mask & (1 << (a.category_id - 1))).not.toBe(0);
            if (candidates.length > 1 || a.attributes!.void) continue;
          }
          let overlaps = 0;
          mask.forEach((v, i) => {
            if (!v) return;
            if (map[i] !== 255) overlaps++;
            map[i] = a.category_id - 1;
          });
          expect(overlaps, 'annotations of one map do not overlap').toBe(0);
        }
        expectSameMap(map, truth[kind][k]!, `${kind} image ${im.id}`);
        // Labels: one annotation per answered real class of each labelled region.
        if (kind === 'labels') expect(anns).toHaveLength(truth.records[k]!.reduce((n, r) => n + Array.from({ length: C }, (_, c) => (r.mask >> c) & 1).reduce((s, b) => s + b, 0), 0));
      });
    }
  });

  it('bad requests fail with the reason and write nothing', async () => {
    const refused = async (args: string[], message: string | RegExp, dir: string) => {
      const r = await runCli(['export', ...args]);
      expect(r.code, r.output).toBe(1);
      expect(r.output).toMatch(message);
      expect(existsSync(join(dir, 'export')), `${dir}/export after: ${r.output}`).toBe(false);
    };
    const noLabels = join(base, 'no-labels');
    mkdirSync(noLabels);
    writeFileSync(join(noLabels, 'config.json'), readFileSync(join(run, 'config.json')));
    await refused(['--out', noLabels, '--format', 'png'], `${join(noLabels, 'labels', 'round-1.json')}: the run has no labels yet`, noLabels);
    await refused(['--out', join(base, 'nowhere'), '--format', 'png'], `${join(base, 'nowhere')}: not a run directory (no config.json)`, join(base, 'nowhere'));
    await refused(['--out', run, '--format', 'tiff'], /Invalid values:\s+Argument: format, Given: "tiff", Choices: "cityscapes", "voc", "coco", "png"/, run);
    await refused(['--out', run, '--format', 'png', '--round', '3'], `${join(run, 'labels', 'round-3.json')}: round 3 has no labels; rounds with labels: 1`, run);
    await refused(['--out', run, '--format', 'png', '--to', join(base, 'export-png')], `${join(base, 'export-png')} already exists`, run);
    // A labels file that names a region the image does not have: found before anything is written.
    const broken = join(base, 'broken');
    mkdirSync(join(broken, 'labels'), { recursive: true });
    writeFileSync(join(broken, 'config.json'), readFileSync(join(run, 'config.json')));
    writeFileSync(join(broken, 'labels', 'round-1.json'), JSON.stringify([{ image: 0, region: 99999, mask: 1, clicks: 1, round: 1 }]));
    await refused(['--out', broken, '--format', 'coco'], /has \d+ regions, a label names region 99999/, broken);
    expect(readdirSync(base).filter((f) => f.includes('partial'))).toEqual([]);
  });
});
