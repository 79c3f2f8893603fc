// DeepLabv3+ (Chen et al., ECCV 2018) with the method's cosine classifier:
//   backbone (ResNet, deep stem, output stride 16 or 8) -> low-level (layer1) and high-level
//   (layer4) features; ASPP on the high-level features; the low-level features projected 1x1 to
//   48 channels; the ASPP output resized bilinearly to the low-level (1/4) resolution and
//   concatenated after them (48 + 256 = 304); two 3x3 conv-BN-ReLU blocks to 256; the cosine head.
// Every head conv with kernel > 1 is depthwise + pointwise when `separable` (the reference runs).
// Channel counts (256 and 48) scale with the head width, which defaults to the backbone's.
//
// Tensors are NHWC. Names: backbone.* (torchvision ResNet names), head.project.*, head.aspp.*,
// head.classifier.0/1.*, head.cosine.weight.
import { noGrad } from '../engine/autograd.js';
import type { DropoutRng } from '../engine/ops/dropout.js';
import { resizeBilinear } from '../engine/ops/resize.js';
import { concatBy } from '../engine/ops/shape.js';
import type { ParamGroup } from '../engine/optim.js';
import { Generator } from '../engine/random.js';
import type { Tensor } from '../engine/tensor.js';
import { Aspp, asppRates } from './aspp.js';
import { CosineHead } from './cosine-head.js';
import { checkBinding, convBnRelu, Dropout, headConvBnRelu, labelConvs } from './layers.js';
import { Module, Sequential } from './module.js';
import { ResNet, scaleChannels, type ResNetConfig } from './resnet.js';

export interface DeepLabConfig {
  backbone: ResNetConfig;
  /** Real classes C (19 for Cityscapes, 21 for VOC with background). */
  numClasses: number;
  /** Adds the method's "undefined" class as output index C (so C + 1 outputs). */
  undefinedClass?: boolean;
  /** Depthwise + pointwise head convs (default true, as the reference runs). */
  separable?: boolean;
  /** Head channel multiplier (defaults to the backbone's width). */
  headWidth?: number;
  /** Dropout after the ASPP projection (0.1). */
  dropout?: number;
  /** Temperature consumers divide the cosine logits by (0.1). Stored here; not applied by the model. */
  tau?: number;
  /** Seed of the Kaiming init (and of the dropout stream). */
  seed?: number;
}

export type ResolvedDeepLabConfig = Required<Omit<DeepLabConfig, 'backbone'>> & { backbone: Required<ResNetConfig> };

export function resolveConfig(c: DeepLabConfig): ResolvedDeepLabConfig {
  const backbone: Required<ResNetConfig> = { width: 1, outputStride: 16, stem: 'deep', ...c.backbone };
  return {
    numClasses: c.numClasses,
    undefinedClass: c.undefinedClass ?? false,
    separable: c.separable ?? true,
    headWidth: c.headWidth ?? backbone.width,
    dropout: c.dropout ?? 0.1,
    tau: c.tau ?? 0.1,
    seed: c.seed ?? 0,
    backbone,
  };
}

/** What `forward` returns, at 1/4 of the input resolution (ceil(H/4) x ceil(W/4)), NHWC. */
export interface SegmentationOutput {
  /**
   * RAW cosine similarities in [-1, 1], [N, h, w, K] with K = numClasses (+1 for the undefined
   * class, last). Not divided by tau: take softmax(logits / tau) for probabilities.
   */
  logits: Tensor;
  /** L2-normalised decoder features [N, h, w, D] (D = 256 x head width); null when not asked for. */
  features: Tensor | null;
}

export interface ForwardOptions {
  /** Also return the normalised features (default true; training with a logits-only loss can skip them). */
  features?: boolean;
  /**
   * Monte-Carlo dropout (BALD): every dropout layer drops with masks drawn from this stream, which
   * advances, whatever the mode; batch norm follows the mode as always, so `predict` runs BN on its
   * running statistics with dropout on. The model's own stream (`dropoutRng`) does not move.
   * Absent: dropout follows the mode.
   */
  mcDropout?: DropoutRng;
}

/** The decoder: low-level projection, ASPP, fusion at 1/4 resolution, cosine classifier. */
export class DeepLabHead extends Module {
  readonly project: Sequential;
  readonly aspp: Aspp;
  readonly classifier: Sequential;
  readonly cosine: CosineHead;
  /** Channels of the low-level projection (48 x head width). */
  readonly lowChannels: number;
  constructor(cfg: ResolvedDeepLabConfig, lowChannels: number, highChannels: number, outputs: number, gen: Generator, dropoutRng: DropoutRng) {
    super();
    const ch = (c: number) => scaleChannels(c, cfg.headWidth);
    const d = ch(256);
    const low = ch(48);
    this.lowChannels = low;
    this.project = this.child('project', convBnRelu({ cin: lowChannels, cout: low, k: 1, init: 'fan_in' }, gen));
    this.aspp = this.child(
      'aspp',
      new Aspp({ cin: highChannels, channels: d, rates: asppRates(cfg.backbone.outputStride), separable: cfg.separable, dropout: cfg.dropout }, gen, dropoutRng),
    );
    this.classifier = this.child(
      'classifier',
      new Sequential(
        headConvBnRelu({ cin: low + d, cout: d, k: 3, init: 'fan_in' }, cfg.separable, gen),
        headConvBnRelu({ cin: d, cout: d, k: 3, init: 'fan_in' }, cfg.separable, gen),
      ),
    );
    this.cosine = this.child('cosine', new CosineHead(d, outputs, gen));
  }

  /** The decoder feature (before normalisation) at the low-level resolution. */
  forward(low: Tensor, high: Tensor): Tensor {
    // The low-level projection and the upsampled ASPP output each write their slice of the
    // concatenation (no copy pass).
    const [n, h, w] = low.shape;
    const a = this.aspp.forward(high);
    const parts = [[n, h, w, this.lowChannels], [n, h, w, a.shape[3]]];
    return this.classifier.forward(concatBy(parts, 3, [(into) => this.project.forwardInto(low, into), (into) => atSize(a, h, w, into)]));
  }
}

export class DeepLabV3Plus extends Module {
  readonly config: ResolvedDeepLabConfig;
  readonly backbone: ResNet;
  readonly head: DeepLabHead;
  /** Outputs K: numClasses + (undefinedClass ? 1 : 0). */
  readonly outputs: number;
  /** Decoder feature channels D. */
  readonly featureChannels: number;
  /** Index of the undefined class among the outputs (numClasses), or -1. */
  readonly undefinedIndex: number;
  /** The dropout mask stream (seeded from the config's seed; checkpoints store it). */
  readonly dropoutRng: DropoutRng;

  constructor(config: DeepLabConfig) {
    super();
    const cfg = resolveConfig(config);
    this.config = cfg;
    if (!Number.isInteger(cfg.numClasses) || cfg.numClasses < 1) throw new Error(`DeepLabV3Plus: numClasses must be a positive integer, got ${cfg.numClasses}`);
    const gen = new Generator(cfg.seed);
    this.dropoutRng = { seed: (Math.imul(cfg.seed, 0x9e3779b1) + 0x7f4a7c15) >>> 0, position: 0 };
    this.backbone = this.child('backbone', new ResNet(cfg.backbone, gen));
    this.outputs = cfg.numClasses + (cfg.undefinedClass ? 1 : 0);
    this.undefinedIndex = cfg.undefinedClass ? cfg.numClasses : -1;
    this.head = this.child('head', new DeepLabHead(cfg, this.backbone.lowChannels, this.backbone.highChannels, this.outputs, gen, this.dropoutRng));
    this.featureChannels = this.head.cosine.channels;
    labelConvs(this);
  }

  /** images [N, H, W, 3] (normalised) -> logits (raw cosine) and normalised features at 1/4 res. */
  forward(images: Tensor, options: ForwardOptions = {}): SegmentationOutput {
    if (images.rank !== 4 || images.shape[3] !== 3) throw new Error(`DeepLabV3Plus: expects images [N, H, W, 3], got [${images.shape.join(', ')}]`);
    const drops = options.mcDropout ? this.namedModules().map(([, m]) => m).filter((m): m is Dropout => m instanceof Dropout) : [];
    for (const d of drops) d.mc = options.mcDropout!;
    try {
      const { low, high } = this.backbone.forward(images);
      const f = this.head.forward(low, high);
      const logits = this.head.cosine.logits(f);
      const features = options.features === false ? null : this.head.cosine.normalize(f);
      return { logits, features };
    } finally {
      for (const d of drops) d.mc = null;
    }
  }

  /** Eval-mode forward without recording (restores the previous mode). */
  predict(images: Tensor, options: ForwardOptions = {}): SegmentationOutput {
    const was = this.training;
    this.eval();
    try {
      return noGrad(() => this.forward(images, options));
    } finally {
      this.train(was);
    }
  }

  /**
   * Parameter groups for the optimiser: the backbone at `lr`, the head (everything else) at
   * `headLrMultiplier` x lr (10, as the method).
   */
  paramGroups(lr: number, options: { weightDecay?: number; headLrMultiplier?: number } = {}): ParamGroup[] {
    const wd = options.weightDecay ?? 1e-5;
    const all = this.namedParameters();
    const backbone = all.filter(([n]) => n.startsWith('backbone.')).map(([, t]) => t);
    const head = all.filter(([n]) => !n.startsWith('backbone.')).map(([, t]) => t);
    return [
      { name: 'backbone', params: backbone, lr, weightDecay: wd },
      { name: 'head', params: head, lr: lr * (options.headLrMultiplier ?? 10), weightDecay: wd },
    ];
  }
}

/** Output of `forward` resized to the input size [h, w] (bilinear, align_corners false). */
export function upsampleOutput(out: SegmentationOutput, h: number, w: number): SegmentationOutput {
  const [n, , , k] = out.logits.shape;
  checkBinding('logits at input resolution', [n, h, w, k]);
  if (out.features) checkBinding('features at input resolution', [n, h, w, out.features.shape[3]]);
  return { logits: atSize(out.logits, h, w), features: out.features ? atSize(out.features, h, w) : null };
}

/** Logits at the input resolution [N, H, W, K] (raw cosine). */
export function logitsAtInput(out: SegmentationOutput, h: number, w: number): Tensor {
  checkBinding('logits at input resolution', [out.logits.shape[0], h, w, out.logits.shape[3]]);
  return atSize(out.logits, h, w);
}

/**
 * `x` [N, H, W, C] resized bilinearly to [h, w] (align_corners false, as the method), or `x`
 * itself when it already is that size; `into` as resizeBilinear's.
 */
function atSize(x: Tensor, h: number, w: number, into?: Tensor): Tensor {
  return x.shape[1] === h && x.shape[2] === w ? x : resizeBilinear(x, [h, w], false, into);
}
