// mIoU from a confusion matrix accumulated on the GPU over a split (kernels/confusion.wgsl.ts).
import { read } from '../engine/io.js';
import { run } from '../engine/ops/run.js';
import { dense, zeros } from '../engine/ops/shape.js';
import { Tensor, tidy } from '../engine/tensor.js';
import { confusionLaunch, MAX_EVAL_CLASSES } from '../kernels/confusion.wgsl.js';
import { gridOf } from '../kernels/grid-sample.wgsl.js';

export interface IoUReport {
  /** IoU per class; NaN where the class is absent from both ground truth and prediction. */
  perClass: number[];
  /** Mean over classes present in the ground truth or the prediction (the common convention). */
  miou: number;
  /** The authors' code's convention: IoU 1 for classes absent from the ground truth, mean over all. */
  miouAllClasses: number;
  pixelAccuracy: number;
}

/** Accumulates a confusion matrix over images; `classes` excludes the undefined class. */
export class ConfusionMatrix {
  private readonly cm: Tensor;
  constructor(readonly classes: number) {
    if (classes > MAX_EVAL_CLASSES) throw new Error(`evaluation supports at most ${MAX_EVAL_CLASSES} classes`);
    this.cm = zeros([classes * classes], 'u32').keep();
  }

  /**
   * logits: rows [pixel, outputs] (outputs >= classes) at the image's resolution, or a grid
   * [1, h, w, outputs] / [h, w, outputs] at any resolution (the model's 1/4), sampled bilinearly
   * per pixel in the kernel; a grid needs the image `width` unless it is the image's own size.
   * gt: class ids per pixel, 255 = ignore.
   */
  add(logits: Tensor, gt: Int32Array | Tensor, width?: number): void {
    tidy(() => {
      const outputs = logits.shape[logits.rank - 1];
      const npix = gt instanceof Tensor ? gt.size : gt.length;
      if (logits.rank === 2 && logits.shape[0] !== npix) throw new Error(`confusion: ${npix} labels for ${logits.shape[0]} pixels`);
      const grid = gridOf(logits.shape, npix, width, 'confusion: logits');
      const z = dense(logits);
      const g = gt instanceof Tensor ? gt : Tensor.fromArray(gt, [gt.length], 'i32');
      run(confusionLaunch(this.classes, outputs, grid), { z, gt: g, cm: this.cm });
    });
  }

  async counts(): Promise<Uint32Array> {
    return (await read(this.cm)) as Uint32Array;
  }

  async report(): Promise<IoUReport> {
    return iouFromCounts(await this.counts(), this.classes);
  }

  dispose(): void {
    this.cm.dispose();
  }
}

export function iouFromCounts(cm: ArrayLike<number>, classes: number): IoUReport {
  const perClass: number[] = [];
  let present = 0;
  let sum = 0;
  let sumAll = 0;
  let correct = 0;
  let total = 0;
  for (let c = 0; c < classes; c++) {
    let row = 0;
    let col = 0;
    for (let k = 0; k < classes; k++) {
      row += cm[c * classes + k];
      col += cm[k * classes + c];
    }
    const tp = cm[c * classes + c];
    correct += tp;
    total += row;
    const union = row + col - tp;
    const iou = union > 0 ? tp / union : NaN;
    perClass.push(iou);
    if (union > 0) {
      present++;
      sum += iou;
    }
    sumAll += row > 0 ? iou : 1;
  }
  return { perClass, miou: present ? sum / present : NaN, miouAllClasses: sumAll / classes, pixelAccuracy: total ? correct / total : NaN };
}

/**
 * Mean over classes of the average precision of ranking the items by score (items [n][classes],
 * true where the class is present); classes present in no item are left out. Ties in score count
 * in item order.
 */
export function meanAveragePrecision(scores: readonly (readonly number[])[], present: readonly (readonly boolean[])[]): number {
  const classes = scores[0]?.length ?? 0;
  const aps: number[] = [];
  for (let c = 0; c < classes; c++) {
    const order = scores.map((_, i) => i).sort((a, b) => scores[b][c] - scores[a][c] || a - b);
    const positives = present.filter((p) => p[c]).length;
    if (positives === 0) continue;
    let hits = 0;
    let ap = 0;
    order.forEach((i, rank) => {
      if (present[i][c]) ap += ++hits / (rank + 1);
    });
    aps.push(ap / positives);
  }
  return aps.length ? aps.reduce((a, b) => a + b, 0) / aps.length : 0;
}
