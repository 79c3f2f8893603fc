// Training-time augmentation (docs/method.md, "Training"): random scale 0.5-2.0, random crop padded with
// the mean colour / label 255 / region -1, horizontal flip p = 0.5, ImageNet mean/std. One inverse
// mapping from output pixel to source pixel serves all three maps, so the label and superpixel maps
// follow exactly the image's geometry (bilinear for the image, nearest for ids).
import type { Rng } from '../data/rng.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../data/dataset.js';

/** Region id for pixels that belong to no superpixel (crop padding). */
export const NO_REGION = -1;
export const IGNORE_LABEL = 255;

export interface AugmentInput {
  image: Uint8Array;
  label: Uint8Array;
  /** Superpixel ids per pixel, or null when the caller needs none. */
  regions: Int32Array | null;
  width: number;
  height: number;
}

export interface AugmentOptions {
  cropHeight: number;
  cropWidth: number;
  scaleMin: number;
  scaleMax: number;
  flipProbability: number;
  /** RGB 0..255 fill for padding (ImageNet mean, so padding normalises to 0). */
  padColor: readonly [number, number, number];
}

/** Where one output crop comes from; drawn once per sample, applied to all its maps. */
export interface CropGeometry {
  scaledWidth: number;
  scaledHeight: number;
  /** Top-left of the crop in the scaled (and bottom/right padded) image. */
  offsetX: number;
  offsetY: number;
  flip: boolean;
}

export function drawGeometry(rng: Rng, width: number, height: number, opts: AugmentOptions): CropGeometry {
  const s = rng.range(opts.scaleMin, opts.scaleMax);
  const scaledWidth = Math.max(1, Math.round(width * s));
  const scaledHeight = Math.max(1, Math.round(height * s));
  // Padding goes to the bottom/right, so the crop window ranges over the padded size.
  const offsetX = rng.intIn(0, Math.max(scaledWidth, opts.cropWidth) - opts.cropWidth);
  const offsetY = rng.intIn(0, Math.max(scaledHeight, opts.cropHeight) - opts.cropHeight);
  const flip = rng.chance(opts.flipProbability);
  return { scaledWidth, scaledHeight, offsetX, offsetY, flip };
}

/**
 * A crop geometry (scale and flip drawn as drawGeometry does) whose window contains source pixel
 * `anchor` (y * width + x): the offset is uniform over the windows that hold the anchor's scaled
 * position. The labelled-crop sampler (batch-source.ts) uses it to replace a crop with no labelled
 * pixel by one around a labelled pixel.
 */
export function anchoredGeometry(rng: Rng, width: number, height: number, opts: AugmentOptions, anchor: number): CropGeometry {
  const s = rng.range(opts.scaleMin, opts.scaleMax);
  const scaledWidth = Math.max(1, Math.round(width * s));
  const scaledHeight = Math.max(1, Math.round(height * s));
  const within = (pos: number, size: number, scaled: number, crop: number) => {
    const at = Math.min(scaled - 1, Math.floor(((pos + 0.5) * scaled) / size));
    return rng.intIn(Math.max(0, at - crop + 1), Math.min(at, Math.max(scaled, crop) - crop));
  };
  const offsetX = within(anchor % width, width, scaledWidth, opts.cropWidth);
  const offsetY = within(Math.floor(anchor / width), height, scaledHeight, opts.cropHeight);
  const flip = rng.chance(opts.flipProbability);
  return { scaledWidth, scaledHeight, offsetX, offsetY, flip };
}

/** Output buffers of a batch; sample `n` occupies the n-th H x W (x 3) slice of each. */
export interface BatchBuffers {
  images: Float32Array;
  labels: Uint8Array;
  regions: Int32Array;
}

/**
 * Writes one augmented sample into slot `n` of the batch buffers: image normalised NHWC, labels
 * with 255 in padding, regions with -1 in padding (and everywhere when input.regions is null).
 */
export function augmentInto(input: AugmentInput, geo: CropGeometry, opts: AugmentOptions, out: BatchBuffers, n: number): void {
  const { width: W, height: H } = input;
  const cw = opts.cropWidth;
  const ch = opts.cropHeight;
  const rx = W / geo.scaledWidth;
  const ry = H / geo.scaledHeight;
  const base = n * cw * ch;
  const padNorm = [0, 1, 2].map((c) => (opts.padColor[c]! / 255 - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!);
  const scale = [0, 1, 2].map((c) => 1 / (255 * IMAGENET_STD[c]!));
  const shift = [0, 1, 2].map((c) => IMAGENET_MEAN[c]! / IMAGENET_STD[c]!);
  // Per output column: the source column pair and weight (bilinear) and the nearest column.
  const x0s = new Int32Array(cw);
  const x1s = new Int32Array(cw);
  const wxs = new Float32Array(cw);
  const xns = new Int32Array(cw);
  for (let ox = 0; ox < cw; ox++) {
    const sx = (geo.flip ? cw - 1 - ox : ox) + geo.offsetX;
    if (sx >= geo.scaledWidth) {
      xns[ox] = -1;
      continue;
    }
    const fx = Math.min(W - 1, Math.max(0, (sx + 0.5) * rx - 0.5));
    x0s[ox] = Math.floor(fx);
    x1s[ox] = Math.min(W - 1, x0s[ox]! + 1);
    wxs[ox] = fx - x0s[ox]!;
    xns[ox] = Math.min(W - 1, Math.floor((sx + 0.5) * rx));
  }
  for (let oy = 0; oy < ch; oy++) {
    const sy = oy + geo.offsetY;
    const rowOut = base + oy * cw;
    const inside = sy < geo.scaledHeight;
    const fy = Math.min(H - 1, Math.max(0, (sy + 0.5) * ry - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(H - 1, y0 + 1);
    const wy = fy - y0;
    const yn = Math.min(H - 1, Math.floor((sy + 0.5) * ry));
    for (let ox = 0; ox < cw; ox++) {
      const o = rowOut + ox;
      const xn = xns[ox]!;
      if (!inside || xn < 0) {
        out.images[3 * o] = padNorm[0]!;
        out.images[3 * o + 1] = padNorm[1]!;
        out.images[3 * o + 2] = padNorm[2]!;
        out.labels[o] = IGNORE_LABEL;
        out.regions[o] = NO_REGION;
        continue;
      }
      const x0 = x0s[ox]!;
      const x1 = x1s[ox]!;
      const wx = wxs[ox]!;
      const a = 3 * (y0 * W + x0);
      const b = 3 * (y0 * W + x1);
      const c = 3 * (y1 * W + x0);
      const d = 3 * (y1 * W + x1);
      for (let k = 0; k < 3; k++) {
        const top = input.image[a + k]! + (input.image[b + k]! - input.image[a + k]!) * wx;
        const bot = input.image[c + k]! + (input.image[d + k]! - input.image[c + k]!) * wx;
        out.images[3 * o + k] = (top + (bot - top) * wy) * scale[k]! - shift[k]!;
      }
      const src = yn * W + xn;
      out.labels[o] = input.label[src]!;
      out.regions[o] = input.regions ? input.regions[src]! : NO_REGION;
    }
  }
}

export interface Batch extends BatchBuffers {
  /** Number of samples, crop height and width: images are N x H x W x 3, labels/regions N x H x W. */
  n: number;
  height: number;
  width: number;
  /** Dataset indices of the samples, in batch order (region ids are per image). */
  indices: number[];
  /** Labelled-crop sampler: crops redrawn around a labelled pixel, and crops still without one. */
  resampledCrops: number;
  emptyCrops: number;
}

export function allocateBatch(n: number, opts: Pick<AugmentOptions, 'cropHeight' | 'cropWidth'>, indices: number[]): Batch {
  const px = n * opts.cropHeight * opts.cropWidth;
  return {
    images: new Float32Array(px * 3),
    labels: new Uint8Array(px),
    regions: new Int32Array(px),
    n,
    height: opts.cropHeight,
    width: opts.cropWidth,
    indices,
    resampledCrops: 0,
    emptyCrops: 0,
  };
}

/** Augments a list of samples into one batch; geometry is drawn from `rng` in sample order. */
export function assembleBatch(inputs: readonly AugmentInput[], indices: number[], opts: AugmentOptions, rng: Rng): Batch {
  const batch = allocateBatch(inputs.length, opts, indices);
  inputs.forEach((input, n) => augmentInto(input, drawGeometry(rng, input.width, input.height, opts), opts, batch, n));
  return batch;
}

export const DEFAULT_AUGMENT: Omit<AugmentOptions, 'cropHeight' | 'cropWidth' | 'padColor'> = {
  scaleMin: 0.5,
  scaleMax: 2.0,
  flipProbability: 0.5,
};
