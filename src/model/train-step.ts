// The one training step (forward, loss, backward per micro-batch, optimiser update) under one tidy
// scope, with the loss passed in; a plain cross-entropy with temperature and ignore index (the
// model's baseline loss: the method's stages pass their fused region loss); and inference at input
// resolution. Losses come back as GPU scalars: read them every K steps (a
// readback waits for the GPU, which costs a pipeline drain each time), e.g. with LossLog.
import { noGrad, record } from '../engine/autograd.js';
import { backward } from '../engine/backward.js';
import { memory, read } from '../engine/io.js';
import { add, div, maximum, mul, mulScalar, neg } from '../engine/ops/elementwise.js';
import { oneHot } from '../engine/ops/gather.js';
import { sum } from '../engine/ops/reduce.js';
import { concat, fill, reshape } from '../engine/ops/shape.js';
import { logSoftmax } from '../engine/ops/softmax.js';
import type { Optimizer } from '../engine/optim.js';
import { engine, sync } from '../engine/runtime.js';
import { tidy, type Tensor } from '../engine/tensor.js';
import type { Module } from './module.js';
import { type DeepLabV3Plus, type ForwardOptions, type SegmentationOutput, logitsAtInput, upsampleOutput } from './deeplabv3plus.js';

export interface CrossEntropyOptions {
  /** Temperature the raw cosine logits are divided by (0.1, the method's). */
  tau?: number;
  /** Label value that contributes nothing (255). Any label outside [0, K) is ignored as well. */
  ignoreIndex?: number;
}

/**
 * Mean over non-ignored pixels of -log softmax(logits / tau)[label]: logits [..., K] (raw
 * cosine), labels i32 [...] with the same leading shape. Pixels labelled `ignoreIndex` (or any
 * value outside [0, K)) are left out of both the sum and the count (PyTorch's
 * cross_entropy(ignore_index=255) with reduction 'mean'); an all-ignored batch gives 0.
 */
export function crossEntropyWithTemperature(logits: Tensor, labels: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const tau = options.tau ?? 0.1;
  const k = logits.shape[logits.rank - 1];
  if (labels.dtype !== 'i32') throw new Error(`crossEntropyWithTemperature: labels must be i32, got ${labels.dtype}`);
  if (labels.rank !== logits.rank - 1 || labels.shape.some((d, i) => d !== logits.shape[i])) {
    throw new Error(`crossEntropyWithTemperature: labels [${labels.shape.join(', ')}] do not match logits [${logits.shape.join(', ')}] without the class axis`);
  }
  const ignore = options.ignoreIndex ?? 255;
  if (ignore >= 0 && ignore < k) throw new Error(`crossEntropyWithTemperature: ignoreIndex ${ignore} is a class index (K = ${k})`);
  const logp = logSoftmax(mulScalar(logits, 1 / tau), -1);
  // Ignored labels (outside [0, K)) give all-zero one-hot rows: no term, no count.
  const hot = oneHot(labels, k);
  const picked = maskedSum(logp, hot);
  const count = maximum(sum(hot), fill([], 1));
  return div(neg(picked), count);
}

/**
 * sum(x * mask) for a constant mask, recorded with a one-kernel backward (g * mask): the generic
 * mul + sum would also materialise the broadcast gradient and the mask's unused gradient, three
 * full-size passes over [N, H, W, K] at input resolution instead of one.
 */
function maskedSum(x: Tensor, mask: Tensor): Tensor {
  const out = noGrad(() => sum(mul(x, mask)));
  return record(out, 'masked_sum', [x], (g) => [mul(mask, g)], [mask]);
}

/**
 * The usual segmentation loss on a batch: logits upsampled to the labels' resolution (bilinear,
 * align_corners false), then cross-entropy with temperature and ignore index.
 */
export function segmentationLoss(labels: Tensor, options: CrossEntropyOptions = {}): (out: SegmentationOutput) => Tensor {
  return (out) => crossEntropyWithTemperature(logitsAtInput(out, labels.shape[1], labels.shape[2]), labels, options);
}

/** The phases of a training step, in order (the benchmarks' per-kernel breakdown). */
export type StepPhase = 'forward' | 'backward' | 'optimizer';

/**
 * The loss of items [at, at + n) of a batch: their forward pass and loss, one element. With
 * micro-batches the parts' losses must add up to the batch's (each part weighted as a share of the
 * whole batch), so that their accumulated gradients are the batch's.
 */
export type StepLoss = (at: number, n: number) => Tensor;

export interface TrainStepOptions {
  /** Multiplies every group's lr for this step (a schedule's factor, e.g. polyLr(1, it, total)). */
  lrFactor?: number;
  /** At most this many items per forward and backward (gradients accumulate); by default the whole batch. */
  microBatch?: number;
  /** Told when each phase starts. */
  mark?: (phase: StepPhase) => void;
}

/**
 * The one training step every trainer runs (the method's stages, the supervised reference, the
 * backbone pretraining, the tests and benchmarks): per micro-batch forward + loss, then backward;
 * then the optimiser step and zeroed gradients, all in one tidy scope, so every activation and
 * gradient is released by the time it returns. Returns the batch's loss (the sum of the parts': a
 * one-element tensor the caller owns: read it now and then, and dispose it). The model must be in
 * train mode.
 */
export function trainStep(model: Module, optimizer: Optimizer, n: number, loss: StepLoss, options: TrainStepOptions = {}): Tensor {
  if (!model.training) throw new Error('trainStep: the model is in eval mode (call model.train())');
  if (options.lrFactor !== undefined) optimizer.lrFactor = options.lrFactor;
  const micro = options.microBatch ?? n;
  return tidy(() => {
    let total: Tensor | null = null;
    for (let at = 0; at < n; at += micro) {
      options.mark?.('forward');
      const l = loss(at, Math.min(micro, n - at));
      if (l.size !== 1) throw new Error(`trainStep: the loss must have one element, got [${l.shape.join(', ')}]`);
      options.mark?.('backward');
      backward(l);
      total = total ? noGrad(() => add(total!, l)) : l;
    }
    if (!total) throw new Error('trainStep: an empty batch');
    options.mark?.('optimizer');
    optimizer.step();
    optimizer.zeroGrad();
    return total.keep();
  });
}

/**
 * trainStep's loss for a whole batch of images through a segmentation model (no micro-batches):
 * the forward without features, then `loss` on its output.
 */
export function batchLoss(model: DeepLabV3Plus, images: Tensor, loss: (out: SegmentationOutput) => Tensor): StepLoss {
  return (at, n) => {
    if (at !== 0 || n !== images.shape[0]) throw new Error(`batchLoss: whole batches only (asked for items [${at}, ${at + n}) of ${images.shape[0]})`);
    return loss(model.forward(images, { features: false }));
  };
}

/** Collects per-step loss tensors and reads them in one readback. */
export class LossLog {
  private pending: Tensor[] = [];
  push(loss: Tensor): void {
    this.pending.push(loss);
  }
  get size(): number {
    return this.pending.length;
  }
  /** The collected losses as numbers (one GPU readback), and the tensors disposed. */
  async drain(): Promise<number[]> {
    const ts = this.pending;
    this.pending = [];
    if (!ts.length) return [];
    const all = tidy(() => noGrad(() => concat(ts.map((t) => reshape(t, [1])), 0)));
    const values = Array.from(await read(all));
    all.dispose();
    for (const t of ts) t.dispose();
    return values;
  }
  dispose(): void {
    for (const t of this.pending) t.dispose();
    this.pending = [];
  }
}

/** Eval-mode inference at the input resolution: raw cosine logits and features [N, H, W, .]. */
export function predictAtInput(model: DeepLabV3Plus, images: Tensor, options: ForwardOptions = {}): SegmentationOutput {
  const [, h, w] = images.shape;
  return tidy(() => noGrad(() => upsampleOutput(model.predict(images, options), h, w)));
}

/** Peak bytes of pooled GPU buffers in use while `fn` runs (awaited to completion). */
export async function measurePeakBytes(fn: () => void | Promise<void>): Promise<{ peakBytes: number; baseBytes: number }> {
  await sync();
  const pool = engine().pool;
  pool.resetPeak();
  const baseBytes = memory().bytesInUse;
  await fn();
  await sync();
  return { peakBytes: memory().peakBytesInUse, baseBytes };
}
