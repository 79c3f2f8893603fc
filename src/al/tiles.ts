// Whole-image inference in tiles, for images whose activations do not fit the adapter's storage
// bindings (r50's stem alone holds 128 channels at half resolution: 256 MiB for a 1024x2048
// Cityscapes image, past lavapipe's 128 MiB). The image is cut into a grid of tiles on a 16-pixel
// lattice (the model's output stride, so every tile's 1/4-resolution outputs start on a whole
// cell); each tile runs alone in eval mode and its outputs are copied into their place in one
// [1, h/4, w/4, C] map. This is the "slide" inference of common segmentation code without overlap:
// a tile sees only its own pixels (its ASPP image pooling too), so near tile borders the outputs
// differ from a whole-image forward. It is used only where the whole image does not fit, so no
// result that could be computed before changes.
import type { DropoutRng } from '../engine/ops/dropout.js';
import { copyInto } from '../engine/ops/shape.js';
import { Tensor } from '../engine/tensor.js';
import type { DeepLabV3Plus } from '../model/deeplabv3plus.js';

/**
 * Tile grids used so far in this process, by image size and pass ("inference", "batch-norm
 * statistics"), each reported once: a run says when its images went through in tiles.
 */
const used = new Map<string, boolean>();

/** Records that `pass` ran W x H images in ny x nx tiles. */
export function noteTiles(pass: string, W: number, H: number, ny: number, nx: number): void {
  const key = `${pass}: ${W}x${H} images in ${ny}x${nx} tiles`;
  if (!used.has(key)) used.set(key, false);
}

/** The tilings not yet reported, marked reported. */
export function takeTileNotes(): string[] {
  const fresh = [...used].filter(([, told]) => !told).map(([k]) => k);
  for (const k of fresh) used.set(k, true);
  return fresh;
}

/** Tile edges along one axis of `size` pixels in `parts` pieces, on a `step`-pixel lattice. */
export function tileEdges(size: number, parts: number, step = 16): number[] {
  const edges = [0];
  for (let k = 1; k < parts; k++) edges.push(Math.min(size, Math.round((k * size) / parts / step) * step));
  edges.push(size);
  return edges.filter((e, i) => i === 0 || e > edges[i - 1]);
}

/** The output cell of input pixel `p` (the model's outputs are ceil(size / 4) cells). */
const cell = (p: number) => Math.ceil(p / 4);

function place(dst: Tensor, src: Tensor, y: number, x: number): void {
  const [, h, w, c] = src.shape;
  const region = dst.view([1, h, w, c], dst.strides, (y * dst.shape[2] + x) * c);
  copyInto(region, src);
  region.dispose();
}

/** Rows y0..y1 and columns x0..x1 of an RGB image (H x W x 3), as an image of their own. */
export function cropImage(s: { image: Uint8Array; width: number }, y0: number, y1: number, x0: number, x1: number): { image: Uint8Array; width: number; height: number } {
  const w = x1 - x0;
  const image = new Uint8Array((y1 - y0) * w * 3);
  for (let y = y0; y < y1; y++) image.set(s.image.subarray((y * s.width + x0) * 3, (y * s.width + x1) * 3), (y - y0) * w * 3);
  return { image, width: w, height: y1 - y0 };
}

/**
 * Eval-mode outputs of an H x W image computed in ny x nx tiles, at the model's 1/4 resolution, as
 * `model.predict` would return them for the whole image's size. `tileInput` makes the [1, h, w, 3]
 * input of rows y0..y1, columns x0..x1 from the image on the CPU, so the whole image never needs to
 * fit one binding either. With `mcDropout`, each tile's forward drops with masks from that stream
 * (ForwardOptions.mcDropout), tile after tile.
 */
export function predictInTiles(
  model: DeepLabV3Plus,
  tileInput: (y0: number, y1: number, x0: number, x1: number) => Tensor,
  H: number,
  W: number,
  ny: number,
  nx: number,
  features: boolean,
  mcDropout?: DropoutRng,
): { logits: Tensor; features: Tensor | null } {
  const ys = tileEdges(H, ny);
  const xs = tileEdges(W, nx);
  noteTiles('inference', W, H, ys.length - 1, xs.length - 1);
  let logits: Tensor | null = null;
  let feats: Tensor | null = null;
  try {
    for (let i = 0; i + 1 < ys.length; i++) {
      for (let j = 0; j + 1 < xs.length; j++) {
        const tile = tileInput(ys[i], ys[i + 1], xs[j], xs[j + 1]);
        const out = model.predict(tile, { features, mcDropout });
        tile.dispose();
        logits ??= Tensor.empty([1, cell(H), cell(W), out.logits.shape[3]]);
        if (out.features) feats ??= Tensor.empty([1, cell(H), cell(W), out.features.shape[3]]);
        place(logits, out.logits, cell(ys[i]), cell(xs[j]));
        if (out.features && feats) place(feats, out.features, cell(ys[i]), cell(xs[j]));
        out.logits.dispose();
        out.features?.dispose();
      }
    }
  } catch (e) {
    logits?.dispose();
    feats?.dispose();
    throw e;
  }
  return { logits: logits!, features: feats };
}
