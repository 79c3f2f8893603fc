// Whole-image inference: normalise, run the model in eval mode, bring logits (and features) to the
// image's resolution. Used by acquisition, pseudo-labelling, evaluation and `predict`.
import { resizeBilinear } from '../engine/ops/resize.js';
import { Tensor } from '../engine/tensor.js';
import type { DeepLabV3Plus } from '../model/deeplabv3plus.js';
import { IMAGENET_MEAN, IMAGENET_STD, type LoadedSample } from './data/dataset.js';

/** [1, H, W, 3] ImageNet-normalised input of an RGB image. */
export function imageTensor(s: Pick<LoadedSample, 'image' | 'width' | 'height'>): Tensor {
  const n = s.width * s.height;
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = (s.image[i * 3 + c] / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
  return Tensor.fromArray(out, [1, s.height, s.width, 3]);
}

export interface FullResolution {
  /** [1, H, W, K] raw cosine logits. */
  logits: Tensor;
  /**
   * [1, h, w, D] normalised features at the model's output resolution (1/4), when asked for: the
   * pseudo-label kernels sample them per pixel, so the 16x larger full-resolution map is never made.
   */
  features: Tensor | null;
}

/** Eval-mode forward of one image, logits resized to the image (bilinear, align_corners false). */
export function predictFull(model: DeepLabV3Plus, s: Pick<LoadedSample, 'image' | 'width' | 'height'>, features = false): FullResolution {
  const x = imageTensor(s);
  const out = model.predict(x, { features });
  const logits = resizeBilinear(out.logits, [s.height, s.width], false);
  x.dispose();
  out.logits.dispose();
  return { logits, features: out.features };
}

/** Argmax over the first `classes` outputs of [.., K] logits read back to the host. */
export function argmaxRows(values: Float32Array, outputs: number, classes: number): Uint8Array {
  const n = values.length / outputs;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[i * outputs + c] > values[i * outputs + best]) best = c;
    out[i] = best;
  }
  return out;
}
