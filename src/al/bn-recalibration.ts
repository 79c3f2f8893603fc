// Batch-norm statistics re-estimated on whole training images after a stage (see below for why),
// within the adapter's binding limits at any image size.
import { noGrad } from '../engine/autograd.js';
import { BindingLimitError } from '../engine/errors.js';
import { concat, zeros } from '../engine/ops/shape.js';
import { tidy, type Tensor } from '../engine/tensor.js';
import type { DeepLabV3Plus } from '../model/deeplabv3plus.js';
import { BatchNorm2d } from '../model/layers.js';
import type { LoadedSample } from '../data/dataset.js';
import { imageTensor } from './inference.js';
import type { Pool } from './pool.js';
import { chooseMicroBatch } from './region-batch.js';
import { cropImage, noteTiles, tileEdges } from './tiles.js';

/**
 * Re-estimates every BN layer's running statistics as the exact average of batch statistics over
 * whole (unaugmented) training images, in batches of images of equal size. Why: at the default
 * scale (128x256 images, 96 px crops at scale 0.5-2, batch 4) a large share of each crop is padding
 * and batches are small, so the running averages kept during training describe padded crops, not
 * images; evaluated with them the model can collapse to one class (measured: 3.6% vs 13.7% mIoU).
 * `--no-bn-recalibration` keeps the reference's plain running averages.
 *
 * Where a batch of `batch` images is past the adapter's binding limits, fewer images go through
 * each forward, down to two; where two are past them (r50 on 1024x2048 images), pairs of images go
 * through in tiles (tiles.ts), the same tile of both, each pair of tiles one batch of the average. What fits is
 * found first with eval-mode forwards of zeros, which leave the statistics alone; runs that fit
 * compute exactly what they computed before.
 */
export function recalibrateBatchNorm(model: DeepLabV3Plus, pool: Pool, images: readonly number[], batch: number): void {
  const bns = model.namedModules().map(([, m]) => m).filter((m): m is BatchNorm2d => m instanceof BatchNorm2d);
  const bySize = new Map<string, LoadedSample[]>();
  for (const i of images) {
    const s = pool.dataset.load(pool.dataset.samples[i]);
    const key = `${s.width}x${s.height}`;
    if (!bySize.has(key)) bySize.set(key, []);
    bySize.get(key)!.push(s);
  }
  const wasTraining = model.training;
  const momentum = bns.map((b) => b.momentum);
  let k = 0;
  // One batch of the average: momentum 1/k, so after k batches the running value is their mean.
  const accumulate = (input: () => Tensor) => {
    k++;
    for (const b of bns) b.momentum = 1 / k;
    noGrad(() =>
      tidy(() => {
        model.train();
        model.forward(input(), { features: false });
      }),
    );
  };
  try {
    for (const group of bySize.values()) {
      // One image alone says little of a batch's statistics: sizes with one image are left out.
      if (group.length < 2) continue;
      const { width, height } = group[0];
      const per = imagesPerForward(model, Math.min(batch, group.length), height, width);
      if (per >= 2) {
        for (let at = 0; at + 2 <= group.length; at += per) {
          const chunk = group.slice(at, at + per);
          if (chunk.length < 2) break;
          accumulate(() => concat(chunk.map((s) => imageTensor(s)), 0));
        }
      } else {
        // Tiles, two at a time: the same tile of two images (BN's image-pooling branch needs two
        // values per channel, as training's micro-batches of at least two crops give it).
        const [ys, xs] = fittingTiles(model, height, width);
        noteTiles('batch-norm statistics', width, height, ys.length - 1, xs.length - 1);
        for (let at = 0; at + 2 <= group.length; at += 2) {
          for (let i = 0; i + 1 < ys.length; i++) {
            for (let j = 0; j + 1 < xs.length; j++) {
              accumulate(() => concat(group.slice(at, at + 2).map((s) => imageTensor(cropImage(s, ys[i], ys[i + 1], xs[j], xs[j + 1]))), 0));
            }
          }
        }
      }
    }
  } finally {
    bns.forEach((b, i) => (b.momentum = momentum[i]));
    model.train(wasTraining);
  }
}

/** Whether an eval-mode forward of `n` images of h x w fits the adapter's limits. */
function fits(model: DeepLabV3Plus, n: number, h: number, w: number): boolean {
  try {
    noGrad(() =>
      tidy(() => {
        model.eval();
        model.forward(zeros([n, h, w, 3]), { features: false });
      }),
    );
    return true;
  } catch (e) {
    if (e instanceof BindingLimitError) return false;
    throw e;
  }
}

/** Images per forward that fit (at most `wanted`, at least two), or 0 when two images do not. */
function imagesPerForward(model: DeepLabV3Plus, wanted: number, h: number, w: number): number {
  if (!fits(model, 2, h, w)) return 0;
  return chooseMicroBatch(wanted, (m) => {
    if (!fits(model, m, h, w)) throw new BindingLimitError(`${m} images of ${w}x${h}`);
  }, (e) => e instanceof BindingLimitError, 2);
}

/** Tile edges (rows, columns) whose largest tile fits: the longer side halved until it does. */
function fittingTiles(model: DeepLabV3Plus, h: number, w: number, minTile = 64): [number[], number[]] {
  let [ny, nx] = [1, 1];
  for (;;) {
    const ys = tileEdges(h, ny);
    const xs = tileEdges(w, nx);
    const th = Math.max(...ys.slice(1).map((e, i) => e - ys[i]));
    const tw = Math.max(...xs.slice(1).map((e, i) => e - xs[i]));
    if (fits(model, 2, th, tw)) return [ys, xs];
    if (th / 2 < minTile && tw / 2 < minTile) throw new BindingLimitError(`batch-norm recalibration: a ${tw}x${th} tile of the ${w}x${h} images is still past this adapter's binding limits`);
    if (th >= tw) ny *= 2;
    else nx *= 2;
  }
}
