// Cosine classifier (the method's head): the feature of each pixel and each class weight row are
// L2-normalised and the logit is their cosine, in [-1, 1], with no learnable scale. The
// temperature tau (0.1 by default) is NOT applied here: losses, acquisition and pseudo-labels
// divide by tau themselves (softmax(logits / tau)), as the reference does.
import { kaimingNormal } from './layers.js';
import { cosineSimilarity, l2Normalize } from './functional.js';
import { Module } from './module.js';
import type { Generator } from '../engine/random.js';
import type { Tensor } from '../engine/tensor.js';

export class CosineHead extends Module {
  /** Class rows [K, D] (a 1x1 conv without bias, stored as a matrix). */
  readonly weight: Tensor;
  constructor(
    readonly channels: number,
    readonly classes: number,
    gen: Generator,
  ) {
    super();
    // Fan-in Kaiming as the reference's 1x1 classifier conv; only the rows' directions matter.
    this.weight = this.param('weight', kaimingNormal(gen, [classes, channels], channels));
  }

  /** Raw cosine logits [..., K] for features [..., D]. */
  logits(features: Tensor): Tensor {
    return cosineSimilarity(features, this.weight);
  }

  /** L2-normalised features (the 'features' the method's prototypes and pseudo-labels use). */
  normalize(features: Tensor): Tensor {
    return l2Normalize(features);
  }
}
