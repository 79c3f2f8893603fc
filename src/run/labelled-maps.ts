// A run's labelled regions as per-image class maps, for tools outside alseg (export-run.ts). A
// region answered with one class gives its pixels that class; a region answered with several is a
// candidate set (partial label): its pixels stay unlabelled in the map and the set is listed with
// the region. The undefined class (bit C of a mask, where the dataset has one) is the dataset's
// void: a region answered only "undefined" stays unlabelled; in a set it is flagged `void`.
import { existsSync } from 'node:fs';
import type { LabelledRegion } from '../al/pool.js';
import type { Dataset } from '../data/dataset.js';
import { UNLABELLED, type ClassMap } from '../data/label-layouts.js';
import type { RegionMap } from '../superpixels/region-map.js';
import { readJson, type RunDirectory } from './run-directory.js';

/** One labelled region: its answered real classes (ascending) and whether void was answered too. */
export interface RegionLabel {
  region: number;
  classes: number[];
  void: boolean;
  round: number;
  clicks: number;
}

export interface ImageLabels {
  /** Index in the training split, and its sample id. */
  image: number;
  id: string;
  regions: RegionMap;
  /** Every labelled region of the image, by region id. */
  labels: RegionLabel[];
  /** The single-class regions' classes; UNLABELLED elsewhere. */
  map: ClassMap;
}

/** The regions labelled in rounds 1..round, checked against the split (the file named on error). */
export function labelsUpTo(run: RunDirectory, round: number, train: Pick<Dataset, 'samples'>): LabelledRegion[] {
  const out: LabelledRegion[] = [];
  for (let r = 1; r <= round; r++) {
    const file = run.labels(r);
    if (!existsSync(file)) continue;
    const records = readJson<LabelledRegion[]>(file);
    if (!Array.isArray(records)) throw new Error(`${file}: not a list of labelled regions`);
    for (const rec of records) {
      const ok = rec !== null && typeof rec === 'object' && Number.isInteger(rec.image) && Number.isInteger(rec.region) && Number.isInteger(rec.mask) && rec.image >= 0 && rec.image < train.samples.length;
      if (!ok) throw new Error(`${file}: ${JSON.stringify(rec)} is not a labelled region of the run's ${train.samples.length} training images`);
      out.push(rec);
    }
  }
  return out;
}

/** A region's answer as classes: real ones below `numClasses`, and bit `numClasses` as void. */
export function regionLabel(rec: LabelledRegion, numClasses: number, hasUndefinedClass: boolean): RegionLabel {
  const classes: number[] = [];
  for (let c = 0; c < numClasses; c++) if (rec.mask & (1 << c)) classes.push(c);
  return { region: rec.region, classes, void: hasUndefinedClass && (rec.mask & (1 << numClasses)) !== 0, round: rec.round, clicks: rec.clicks };
}

/**
 * Per labelled image (in split order): its region map, its labelled regions and the class map of
 * its single-class regions. `regionsOf` gives an image's region map (the run's superpixels).
 */
export function imageLabels(records: readonly LabelledRegion[], train: Dataset, regionsOf: (image: number) => RegionMap, file: string): ImageLabels[] {
  const byImage = new Map<number, LabelledRegion[]>();
  for (const rec of records) if (rec.mask !== 0) byImage.set(rec.image, [...(byImage.get(rec.image) ?? []), rec]);
  return [...byImage.keys()]
    .sort((a, b) => a - b)
    .map((image) => {
      const regions = regionsOf(image);
      const labels = byImage.get(image)!.map((rec) => {
        if (rec.region >= regions.count) throw new Error(`${file}: image ${train.samples[image]!.id} has ${regions.count} regions, a label names region ${rec.region}`);
        return regionLabel(rec, train.numClasses, train.hasUndefinedClass);
      });
      const single = new Int16Array(regions.count).fill(-1);
      for (const l of labels) if (l.classes.length === 1 && !l.void) single[l.region] = l.classes[0]!;
      const data = new Uint8Array(regions.ids.length).fill(UNLABELLED);
      for (let i = 0; i < data.length; i++) {
        const c = single[regions.ids[i]!]!;
        if (c >= 0) data[i] = c;
      }
      return { image, id: train.samples[image]!.id, regions, labels: labels.sort((a, b) => a.region - b.region), map: { width: regions.width, height: regions.height, data } };
    });
}
