// `alseg export`: a round's labels, stage-2 pseudo-labels and final-model predictions, in the layouts
// other tools read (data/label-layouts.ts, data/coco.ts). For the chosen round r it writes, per
// labelled image (any region labelled in rounds 1..r):
//   labels/       the single-class regions as a class map, and candidates.json with the candidate
//                 sets of multi-class regions (their masks as COCO RLE); in COCO, labels.json holds
//                 one annotation per region and answered class
//   pseudo/       stage 2's pseudo-labels of round r (pseudo/round-<r>/), where stage 2 has run
//   predictions/  the round's stage-2 model on each image, where its checkpoint exists
//   export.json   what was written, from which run and round, and what was skipped and why
// Everything is checked before anything is written (export-plan.ts), and written into a temporary
// folder that is renamed into place at the end, so a bad request or a failure leaves nothing behind.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { tidy } from '../engine/tensor.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { createModel } from '../model/presets.js';
import { labelMap, predictImage } from '../al/inference.js';
import { writeFileAtomic } from '../data/atomic-write.js';
import { cocoCategories, cocoCategoryId, encodeCocoRle, maskBox, type CocoAnnotation, type CocoFile } from '../data/coco.js';
import {
  cityscapesMapFiles, plainMapFile, UNLABELLED, vocMapFile, writeCityscapesMap, writePlainMap, writeVocLists, writeVocMap, type ClassMap, type LabelFormat,
} from '../data/label-layouts.js';
import { readIndexPng } from '../data/png.js';
import type { ImageLabels } from './labelled-maps.js';
import type { ExportPlan, MapKind } from './export-plan.js';

export interface ExportSummary {
  to: string;
  images: number;
  singleClassRegions: number;
  multiClassRegions: number;
  written: Record<MapKind, boolean>;
  notes: string[];
}

/** Where one map kind goes, and how a class map of an image is written there. */
interface MapSink {
  /** The folder (PNG layouts) or file (COCO) of this kind, relative to the export. */
  path: string;
  write(im: ImageLabels, map: ClassMap): void;
  finish(): void;
}

function pngSink(plan: ExportPlan, root: string, kind: MapKind): MapSink {
  const dir = join(root, kind);
  const ids: string[] = [];
  const write = { cityscapes: (id: string, m: ClassMap) => writeCityscapesMap(dir, 'train', id, m), voc: (id: string, m: ClassMap) => writeVocMap(dir, id, m), png: (id: string, m: ClassMap) => writePlainMap(dir, id, m) }[plan.format as Exclude<LabelFormat, 'coco'>];
  return {
    path: kind,
    write: (im, map) => {
      ids.push(im.id);
      write(im.id, map);
    },
    finish: () => {
      if (plan.format === 'voc') writeVocLists(dir, 'train', ids, plan.train.classNames);
    },
  };
}

/** The label PNG of an image in a PNG layout, relative to the export. */
function mapFile(plan: ExportPlan, kind: MapKind, id: string): string {
  const dir = join(plan.to, kind);
  const file = plan.format === 'cityscapes' ? cityscapesMapFiles(dir, 'train', id).labelIds : plan.format === 'voc' ? vocMapFile(dir, id) : plainMapFile(dir, id);
  return relative(plan.to, file);
}

function cocoFile(plan: ExportPlan, what: string): CocoFile {
  const names = plan.train.classNames;
  return {
    info: { description: `alseg ${what}, round ${plan.round} of ${plan.run.dir}`, version: '1', date_created: new Date().toISOString() },
    images: plan.images.map((im, k) => ({ id: k + 1, file_name: relative(plan.cfg.root, plan.train.samples[im.image]!.imagePath), width: im.regions.width, height: im.regions.height })),
    annotations: [],
    categories: cocoCategories(names),
  };
}

function annotation(coco: CocoFile, imageId: number, c: number, width: number, height: number, inMask: (i: number) => boolean, attributes?: Record<string, unknown>): CocoAnnotation {
  const { area, bbox } = maskBox(width, height, inMask);
  const a: CocoAnnotation = { id: coco.annotations.length + 1, image_id: imageId, category_id: cocoCategoryId(c), segmentation: encodeCocoRle(width, height, inMask), area, bbox, iscrowd: 0 };
  if (attributes) a.attributes = attributes;
  coco.annotations.push(a);
  return a;
}

/** COCO for pseudo-labels and predictions: one annotation per image and class present. */
function cocoSink(plan: ExportPlan, root: string, kind: MapKind): MapSink {
  const coco = cocoFile(plan, kind);
  const index = new Map(plan.images.map((im, k) => [im.image, k + 1]));
  return {
    path: `${kind}.json`,
    write: (im, map) => {
      const present = new Set(map.data);
      for (let c = 0; c < plan.train.numClasses; c++) if (present.has(c)) annotation(coco, index.get(im.image)!, c, map.width, map.height, (i) => map.data[i] === c);
    },
    finish: () => writeFileAtomic(join(root, `${kind}.json`), JSON.stringify(coco)),
  };
}

/** The labels: a class map per image and the candidate sets (PNG layouts), or COCO annotations per region and class. */
function writeLabels(plan: ExportPlan, root: string): void {
  const names = plan.train.classNames;
  if (plan.format === 'coco') {
    const coco = cocoFile(plan, 'labels (one annotation per labelled region and answered class)');
    plan.images.forEach((im, k) => {
      for (const l of im.labels) {
        const inRegion = (i: number) => im.regions.ids[i] === l.region;
        // A multi-class region is one annotation per candidate class, all with the region's mask.
        const attributes = { region: l.region, round: l.round, candidates: l.classes.map(cocoCategoryId), void: l.void };
        for (const c of l.classes) annotation(coco, k + 1, c, im.regions.width, im.regions.height, inRegion, attributes);
      }
    });
    writeFileAtomic(join(root, 'labels.json'), JSON.stringify(coco));
    return;
  }
  const sink = pngSink(plan, root, 'labels');
  const candidates = plan.images.map((im) => {
    sink.write(im, im.map);
    const w = im.regions.width, h = im.regions.height;
    const regions = im.labels
      .filter((l) => l.classes.length > 1 || l.void)
      .map((l) => {
        const inRegion = (i: number) => im.regions.ids[i] === l.region;
        return { region: l.region, classes: l.classes, names: l.classes.map((c) => names[c]), void: l.void, round: l.round, ...maskBox(w, h, inRegion), rle: encodeCocoRle(w, h, inRegion) };
      });
    return { id: im.id, width: w, height: h, map: mapFile(plan, 'labels', im.id), regions };
  });
  sink.finish();
  const doc = {
    description: 'Multi-class regions (candidate sets, partial labels) of an alseg run: their pixels are unlabelled in the maps. rle: COCO run-length encoding (column-major, counts start with zeros); bbox: [x, y, width, height]; void: part of the region is the dataset\'s void.',
    classes: names,
    images: candidates,
  };
  writeFileAtomic(join(root, 'labels', 'candidates.json'), JSON.stringify(doc, null, 1));
}

/** A pseudo-label PNG as a class map: the undefined class and out-of-range values become unlabelled. */
function readPseudo(plan: ExportPlan, file: string, im: ImageLabels): ClassMap {
  const png = readIndexPng(file);
  if (png.width !== im.regions.width || png.height !== im.regions.height) {
    throw new Error(`${file}: ${png.width}x${png.height} pseudo-labels for a ${im.regions.width}x${im.regions.height} image`);
  }
  const C = plan.train.numClasses;
  return { width: png.width, height: png.height, data: Uint8Array.from(png.data, (v) => (v < C ? v : UNLABELLED)) };
}

/** Writes the export (see the file's head); the engine must be up when the plan has a checkpoint. */
export async function writeExport(plan: ExportPlan, onImage: (kind: MapKind, done: number, total: number) => void = () => undefined): Promise<ExportSummary> {
  const parent = dirname(plan.to);
  const madeParent = !existsSync(parent);
  const tmp = `${plan.to}.partial-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  try {
    writeLabels(plan, tmp);
    onImage('labels', plan.images.length, plan.images.length);
    const sink = (kind: MapKind) => (plan.format === 'coco' ? cocoSink(plan, tmp, kind) : pngSink(plan, tmp, kind));
    if (plan.pseudo) {
      const s = sink('pseudo');
      plan.images.forEach((im, k) => {
        s.write(im, readPseudo(plan, plan.pseudo![k]!, im));
        onImage('pseudo', k + 1, plan.images.length);
      });
      s.finish();
    }
    if (plan.checkpoint) {
      const s = sink('predictions');
      const { train, cfg } = plan;
      const model = createModel(cfg.preset, { numClasses: train.numClasses, undefinedClass: train.hasUndefinedClass, seed: cfg.seed });
      try {
        await loadCheckpoint(plan.checkpoint, { model });
        for (const [k, im] of plan.images.entries()) {
          const loaded = train.load(train.samples[im.image]!);
          const data = await tidy(async () => labelMap(predictImage(model, loaded).logits, train.numClasses, loaded));
          s.write(im, { width: loaded.width, height: loaded.height, data });
          onImage('predictions', k + 1, plan.images.length);
        }
      } finally {
        model.dispose();
      }
      s.finish();
    }
    const multi = plan.images.reduce((n, im) => n + im.labels.filter((l) => l.classes.length > 1 || l.void).length, 0);
    const single = plan.images.reduce((n, im) => n + im.labels.length, 0) - multi;
    const written = { labels: true, pseudo: plan.pseudo !== null, predictions: plan.checkpoint !== null };
    const place = (kind: MapKind) => (written[kind] ? (plan.format === 'coco' ? `${kind}.json` : `${kind}/`) : null);
    writeFileAtomic(
      join(tmp, 'export.json'),
      JSON.stringify(
        {
          run: plan.run.dir,
          round: plan.round,
          format: plan.format,
          dataset: { kind: plan.cfg.dataset, root: plan.cfg.root, split: 'train' },
          classes: plan.train.classNames,
          unlabelled: plan.format === 'cityscapes' ? 'labelIds 0 (unlabeled), trainIds 255' : plan.format === 'coco' ? 'no annotation' : UNLABELLED,
          images: plan.images.length,
          singleClassRegions: single,
          multiClassRegions: multi,
          labels: place('labels'),
          candidates: plan.format === 'coco' ? null : 'labels/candidates.json',
          pseudo: place('pseudo'),
          predictions: place('predictions'),
          notes: plan.notes,
        },
        null,
        2,
      ),
    );
    renameSync(tmp, plan.to);
    return { to: plan.to, images: plan.images.length, singleClassRegions: single, multiClassRegions: multi, written, notes: plan.notes };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    // The folder made for it (<run>/export by default) goes too, unless something else is in it now.
    if (madeParent && readdirSync(parent).length === 0) rmdirSync(parent);
    throw e;
  }
}
