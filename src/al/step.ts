// The method's training step, as src/model/train-step.ts's trainStep runs it: the loss of a batch of
// crops (forward, logits resized to the crop, the fused region loss on the stage's tables) and the
// micro-batch that fits the adapter. The stages and the benchmarks (bench/method.ts) both use these.
import { noGrad } from '../engine/autograd.js';
import { BindingLimitError } from '../engine/errors.js';
import { resizeBilinear } from '../engine/ops/resize.js';
import { zeros } from '../engine/ops/shape.js';
import { Tensor, tidy } from '../engine/tensor.js';
import type { DeepLabV3Plus } from '../model/deeplabv3plus.js';
import type { StepLoss } from '../model/train-step.js';
import { regionLoss, type RegionLossOptions } from './losses.js';
import { partialLabelLoss } from './partial-label-losses.js';
import { chooseMicroBatch, sliceRegionBatch, type RegionBatch, type Stage1Loss } from './region-batch.js';

/** The images of one batch as the trainer reads them: n crops of height x width, normalised RGB (NHWC). */
export interface StepBatch {
  n: number;
  height: number;
  width: number;
  images: Float32Array;
}

/**
 * trainStep's loss for a batch of crops: forward, logits resized to the crop, the fused region loss
 * (stage-1 tables or stage-2 pixel labels, both a RegionBatch), or with `loss` a partial-label
 * baseline in place of MP + PP. A micro-batch's part of the tables keeps the whole batch's weights,
 * so the parts' losses add up to the batch's.
 */
export function regionStepLoss(model: DeepLabV3Plus, b: StepBatch, tables: RegionBatch, lossOptions: RegionLossOptions, loss: Stage1Loss = 'mp-pp'): StepLoss {
  const hw = b.height * b.width;
  return (at, n) => {
    const part = n === b.n ? tables : sliceRegionBatch(tables, at * hw, (at + n) * hw);
    const images = Tensor.fromArray(b.images.subarray(at * hw * 3, (at + n) * hw * 3), [n, b.height, b.width, 3]);
    const out = model.forward(images, { features: false });
    const logits = resizeBilinear(out.logits, [b.height, b.width], false);
    return (loss === 'mp-pp' ? regionLoss(logits, part, lossOptions) : partialLabelLoss(logits, part, loss, lossOptions)).total;
  };
}

/**
 * The largest micro-batch (at most `wanted`, at least `smallest`) whose activations fit the
 * adapter's binding limits, probed with an eval-mode forward, which leaves BN statistics alone.
 * Leaves the model in eval mode.
 */
export function fitMicroBatch(model: DeepLabV3Plus, wanted: number, crop: number, smallest: number): number {
  return chooseMicroBatch(
    wanted,
    (m) =>
      noGrad(() =>
        tidy(() => {
          model.eval();
          const out = model.forward(zeros([m, crop, crop, 3]), { features: false });
          resizeBilinear(out.logits, [crop, crop], false);
        }),
      ),
    (e) => e instanceof BindingLimitError,
    smallest,
  );
}
