// Stage 2's labels on disk: each labelled image's pseudo-labels (the model's, or the upper bound's
// from the ground truth) as a PNG the stage-2 loader reads, with their coverage and accuracy.
import { join } from 'node:path';
import type { DeepLabV3Plus } from '../model/deeplabv3plus.js';
import type { RunConfig } from '../al/config.js';
import { voidClass } from '../data/dataset.js';
import { writeGreyPng } from '../data/png.js';
import { fileSafe } from './evaluation.js';
import { imagePseudoLabels } from '../al/inference.js';
import type { Pool } from '../al/pool.js';
import { writeLabelPng } from './report.js';

/**
 * The upper bound's pseudo-labels (`pseudo: 'oracle'`): stage 2 as if localisation were perfect,
 * from the ground truth inside each labelled region and nothing outside. Multi-class labels: each
 * pixel whose true class is in its region's label set takes that class. Dominant labels: every
 * pixel of the region takes the region's one (dominant) class, right or wrong. Void ground truth
 * counts as the undefined class when the dataset has one (as the oracle answers it).
 */
export function oraclePseudoLabels(ids: Int32Array, gt: Uint8Array, labels: ReadonlyMap<number, number>, labelling: RunConfig['labelling'], numClasses: number, hasUndefinedClass: boolean): Int32Array {
  const out = new Int32Array(ids.length).fill(255);
  for (let i = 0; i < ids.length; i++) {
    const mask = labels.get(ids[i]);
    if (mask === undefined || mask === 0) continue;
    if (labelling === 'dominant') {
      out[i] = 31 - Math.clz32(mask);
      continue;
    }
    const c = gt[i] === 255 ? voidClass({ numClasses, hasUndefinedClass }) : gt[i];
    if (c >= 0 && mask & (1 << c)) out[i] = c;
  }
  return out;
}

/** Pseudo-labels of every labelled image, as PNGs stage 2 reads; returns their coverage and accuracy. */
export async function writePseudoLabels(
  model: DeepLabV3Plus,
  pool: Pool,
  images: number[],
  cfg: RunConfig,
  dir: string,
  visDir: string,
): Promise<{ coverage: number; accuracy: number }> {
  let labelled = 0;
  let correct = 0;
  let total = 0;
  const ds = pool.dataset;
  const flags = { localise: cfg.ablation.localise, expand: cfg.ablation.expand, reading: cfg.reading, tau: cfg.tau };
  for (const [k, index] of images.entries()) {
    const img = pool.images[index];
    const loaded = ds.load(ds.samples[index]);
    const label =
      cfg.pseudo === 'oracle'
        ? oraclePseudoLabels(img.map.ids, loaded.label, pool.labelsOf(index), cfg.labelling, ds.numClasses, ds.hasUndefinedClass)
        : await imagePseudoLabels(model, loaded, { ids: img.map.ids, pixels: img.pixels, adjacency: img.adjacency }, pool.labelsOf(index), flags);
    const bytes = Uint8Array.from(label, (v) => (v < 0 || v > 255 ? 255 : v));
    writeGreyPng(join(dir, `${img.id}.png`), { width: loaded.width, height: loaded.height, data: bytes });
    if (k < cfg.visualise) writeLabelPng(join(visDir, `${fileSafe(img.id)}-pseudo.png`), bytes, loaded.width, loaded.height, ds.palette);
    for (let i = 0; i < bytes.length; i++) {
      total++;
      const gt = loaded.label[i];
      const gtClass = gt === 255 ? voidClass(ds) : gt;
      if (bytes[i] !== 255) {
        labelled++;
        if (bytes[i] === gtClass) correct++;
      }
    }
  }
  // Images without ground truth (a folder's pool) have no accuracy to measure.
  return { coverage: total ? labelled / total : 0, accuracy: ds.labelled === false ? NaN : labelled ? correct / labelled : 0 };
}
