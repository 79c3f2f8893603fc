// A model's mIoU on the validation split, with colour PNGs of its first predictions.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tidy } from '../engine/tensor.js';
import type { DeepLabV3Plus } from '../model/deeplabv3plus.js';
import type { RunConfig } from '../al/config.js';
import type { Dataset } from '../data/dataset.js';
import { writeRgbPng } from '../data/png.js';
import { labelMap, predictImage } from '../al/inference.js';
import { ConfusionMatrix, type IoUReport } from '../al/metrics.js';
import { writeLabelPng } from './report.js';

/** A sample id as one file name (ids may contain folders). */
export function fileSafe(id: string): string {
  return id.replace(/[\\/]+/g, '_');
}

/** mIoU on the validation split; saves colour PNGs of the first few predictions. */
export async function evaluate(model: DeepLabV3Plus, val: Dataset, cfg: Pick<RunConfig, 'valLimit' | 'visualise'>, visDir: string | null, tag: string): Promise<IoUReport> {
  const cm = new ConfusionMatrix(val.numClasses);
  const n = cfg.valLimit > 0 ? Math.min(cfg.valLimit, val.samples.length) : val.samples.length;
  try {
    for (let i = 0; i < n; i++) {
      const sample = val.samples[i];
      const loaded = val.load(sample);
      await tidy(async () => {
        const { logits } = predictImage(model, loaded);
        cm.add(logits, Int32Array.from(loaded.label), loaded.width);
        if (visDir && i < cfg.visualise) {
          const pred = await labelMap(logits, val.numClasses, loaded);
          writeLabelPng(join(visDir, `${fileSafe(sample.id)}-${tag}.png`), pred, loaded.width, loaded.height, val.palette);
          const common = join(visDir, '..');
          if (!existsSync(join(common, `${fileSafe(sample.id)}-image.png`))) {
            writeRgbPng(join(common, `${fileSafe(sample.id)}-image.png`), { width: loaded.width, height: loaded.height, data: loaded.image });
            writeLabelPng(join(common, `${fileSafe(sample.id)}-gt.png`), loaded.label, loaded.width, loaded.height, val.palette);
          }
        }
      });
    }
    return await cm.report();
  } finally {
    cm.dispose();
  }
}

