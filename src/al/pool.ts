// The unlabelled pool: the training split's images, their superpixels (cached on disk), the
// oracle's answers for every region, and the labelled set grown round by round. Answers are
// computed per image from full-resolution ground truth when first needed, like asking a person
// only about the regions we query; the run records only what was actually asked.
import { numOutputs, type Dataset } from '../data/dataset.js';
import { answerBitmasks, dominantAnswers, multiClassAnswers } from './oracle.js';
import { Rng, hashSeed } from '../data/rng.js';
import { regionAdjacency, regionPixels, type RegionAdjacency, type RegionPixels } from '../superpixels/adjacency.js';
import { loadRegions } from '../superpixels/cache.js';
import type { SuperpixelSpec } from '../superpixels/compute.js';
import type { RegionMap } from '../superpixels/region-map.js';
import type { Labelling } from './config.js';
import type { RegionRef } from './acquisition.js';

export interface PoolImage {
  index: number;
  id: string;
  map: RegionMap;
  pixels: RegionPixels;
  adjacency: RegionAdjacency;
}

/** One labelled region as the run records it. */
export interface LabelledRegion {
  image: number;
  region: number;
  /** Bitmask of the answered classes (bit C = undefined). */
  mask: number;
  clicks: number;
  round: number;
}

export class Pool {
  readonly images: PoolImage[] = [];
  private readonly answers = new Map<number, { masks: Uint32Array; costs: Int32Array }>();
  /** image -> (region -> mask) of the labelled set. */
  private readonly labelled = new Map<number, Map<number, number>>();
  private readonly records: LabelledRegion[] = [];

  constructor(
    readonly dataset: Dataset,
    readonly spec: SuperpixelSpec,
    readonly cacheDir: string,
    readonly labelling: Labelling,
    readonly dominantMode: 'majority' | 'sampled',
    readonly seed: number,
    /** Region adjacency for label expansion: 8 (the code's 3x3 dilation) or 4 (the text's reading). */
    readonly connectivity: 4 | 8 = 8,
  ) {
    dataset.samples.forEach((sample, index) => {
      const { map } = loadRegions(dataset, sample, cacheDir, spec);
      this.images.push({ index, id: sample.id, map, pixels: regionPixels(map), adjacency: regionAdjacency(map, connectivity) });
    });
  }

  get outputs(): number {
    return numOutputs(this.dataset);
  }

  /** The oracle's answer for a region (computed once per image from its ground truth). */
  answer(ref: RegionRef): { mask: number; clicks: number } {
    let a = this.answers.get(ref.image);
    if (!a) {
      const img = this.images[ref.image];
      const { label } = this.dataset.load(this.dataset.samples[ref.image]);
      const o = { numClasses: this.dataset.numClasses, hasUndefinedClass: this.dataset.hasUndefinedClass };
      const ans =
        this.labelling === 'multi'
          ? multiClassAnswers(img.map, label, o)
          : dominantAnswers(img.map, label, o, this.dominantMode === 'sampled' ? new Rng(hashSeed(this.seed, 0x5a17, ref.image)) : undefined);
      a = { masks: answerBitmasks(ans), costs: ans.costs };
      this.answers.set(ref.image, a);
    }
    return { mask: a.masks[ref.region], clicks: a.costs[ref.region] };
  }

  isLabelled(ref: RegionRef): boolean {
    return this.labelled.get(ref.image)?.has(ref.region) ?? false;
  }

  /** Adds a region to the labelled set; an already labelled region is an error (never duplicated). */
  label(ref: RegionRef, round: number): LabelledRegion {
    if (this.isLabelled(ref)) throw new Error(`region ${ref.region} of image ${ref.image} is already labelled`);
    const { mask, clicks } = this.answer(ref);
    const rec = { image: ref.image, region: ref.region, mask, clicks, round };
    this.restore(rec);
    return rec;
  }

  /** Re-adds a recorded region (resume). */
  restore(rec: LabelledRegion): void {
    let m = this.labelled.get(rec.image);
    if (!m) this.labelled.set(rec.image, (m = new Map()));
    if (m.has(rec.region)) throw new Error(`region ${rec.region} of image ${rec.image} recorded twice`);
    m.set(rec.region, rec.mask);
    this.records.push(rec);
  }

  get labelledRegions(): readonly LabelledRegion[] {
    return this.records;
  }

  /** Labels of the labelled regions of one image. */
  labelsOf(image: number): ReadonlyMap<number, number> {
    return this.labelled.get(image) ?? new Map();
  }

  /** Images with at least one labelled region (those stage 1 and stage 2 train on). */
  labelledImages(): number[] {
    return [...this.labelled.keys()].filter((i) => (this.labelled.get(i)?.size ?? 0) > 0).sort((a, b) => a - b);
  }

  unlabelledRegions(): RegionRef[] {
    const out: RegionRef[] = [];
    for (const img of this.images) for (let r = 0; r < img.map.count; r++) if (!this.isLabelled({ image: img.index, region: r })) out.push({ image: img.index, region: r });
    return out;
  }

  /** Clicks spent on the labelled set, or on the labels of rounds up to `round`. */
  clicks(round = Infinity): number {
    return this.records.reduce((s, r) => s + (r.round <= round ? r.clicks : 0), 0);
  }
}
