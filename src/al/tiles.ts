// Whole-image inference in tiles, for images whose activations do not fit the adapter's storage
// bindings (r50's stem alone holds 128 channels at half resolution: 256 MiB for a 1024x2048
// Cityscapes image, past lavapipe's 128 MiB). The image is cut into a grid of tiles on a 16-pixel
// lattice (the model's output stride, so every tile's 1/4-resolution outputs start on a whole
// cell); each tile runs alone in eval mode and its outputs are copied into their place in one
// [1, h/4, w/4, C] map. This is the "slide" inference of common segmentation code without overlap:
// a tile sees only its own pixels (its ASPP image pooling too), so near tile borders the outputs
// differ from a whole-image forward. It is used only where the whole image does not fit, so no
// result that could be computed before changes.
import { contiguous, copyInto, slice } from '../engine/ops/shape.js';
import { Tensor } from '../engine/tensor.js';
import type { DeepLabV3Plus } from '../model/deeplabv3plus.js';

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

/**
 * Eval-mode outputs of image x [1, H, W, 3] computed in ny x nx tiles, at the model's 1/4
 * resolution, as `model.predict` would return them for the whole image's size.
 */
export function predictInTiles(model: DeepLabV3Plus, x: Tensor, ny: number, nx: number, features: boolean): { logits: Tensor; features: Tensor | null } {
  const [, H, W] = x.shape;
  const ys = tileEdges(H, ny);
  const xs = tileEdges(W, nx);
  let logits: Tensor | null = null;
  let feats: Tensor | null = null;
  try {
    for (let i = 0; i + 1 < ys.length; i++) {
      for (let j = 0; j + 1 < xs.length; j++) {
        const rows = slice(x, 1, ys[i], ys[i + 1]);
        const part = slice(rows, 2, xs[j], xs[j + 1]);
        const tile = contiguous(part);
        for (const t of [rows, part]) t.dispose();
        const out = model.predict(tile, { features });
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
