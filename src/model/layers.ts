// The layers the networks are built from. Activations are NHWC [N, H, W, C]; conv weights HWIO
// [kh, kw, Cin/groups, Cout] (PyTorch OIHW maps here by permute(2, 3, 1, 0), see weights.ts).
import { BindingLimitError } from '../engine/errors.js';
import { batchNorm } from '../engine/ops/batchnorm.js';
import { conv2d, convOutputSize } from '../engine/ops/conv.js';
import { dropout, type DropoutRng } from '../engine/ops/dropout.js';
import { relu } from '../engine/ops/elementwise.js';
import { maxPool2d } from '../engine/ops/pool.js';
import { fill, zeros } from '../engine/ops/shape.js';
import type { Generator } from '../engine/random.js';
import { engine } from '../engine/runtime.js';
import { Tensor } from '../engine/tensor.js';
import { Layer, Module, Sequential } from './module.js';

export interface ConvSpec {
  cin: number;
  cout: number;
  k: number;
  stride?: number;
  dilation?: number;
  /** Defaults to "same" for odd kernels: dilation * (k - 1) / 2. */
  padding?: number;
  groups?: number;
  bias?: boolean;
  /**
   * Kaiming-normal fan: 'fan_out' (k*k*Cout/groups, torchvision's ResNet init, the default) or
   * 'fan_in' (k*k*Cin/groups, PyTorch's default mode, which the reference's DeepLab head uses).
   */
  init?: 'fan_out' | 'fan_in';
}

/** Kaiming-normal init (He et al. 2015) for ReLU: N(0, 2 / fan). */
export function kaimingNormal(gen: Generator, shape: readonly number[], fan: number): Tensor {
  return gen.normal(shape, 0, Math.sqrt(2 / fan));
}

/**
 * Refuses, with the layer and sizes named, an activation no single storage binding of this adapter
 * can hold (the engine binds whole buffers). Smaller batches or crops are the remedy.
 */
export function checkBinding(layer: string, shape: readonly number[]): void {
  const bytes = shape.reduce((a, b) => a * b, 1) * 4;
  const { maxStorageBufferBindingSize: bind, maxBufferSize: buf } = engine().limits;
  const limit = Math.min(bind, buf);
  if (bytes > limit) {
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    throw new BindingLimitError(
      `${layer}: its output [${shape.join(', ')}] needs ${mib(bytes)}, over this adapter's ` +
        `${bind <= buf ? 'maxStorageBufferBindingSize' : 'maxBufferSize'} of ${mib(limit)}; use a smaller batch or crop`,
    );
  }
}

export class Conv2d extends Layer {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly spec: Required<ConvSpec>;
  /** Dotted name for error messages (set by the network once built). */
  label = 'conv2d';

  constructor(spec: ConvSpec, gen: Generator) {
    super();
    const dilation = spec.dilation ?? 1;
    this.spec = {
      cin: spec.cin,
      cout: spec.cout,
      k: spec.k,
      stride: spec.stride ?? 1,
      dilation,
      padding: spec.padding ?? (dilation * (spec.k - 1)) / 2,
      groups: spec.groups ?? 1,
      bias: spec.bias ?? false,
      init: spec.init ?? 'fan_out',
    };
    const { cin, cout, k, groups, init } = this.spec;
    if (cin % groups !== 0 || cout % groups !== 0) throw new Error(`Conv2d: ${cin} -> ${cout} channels do not split into ${groups} groups`);
    const fan = (k * k * (init === 'fan_out' ? cout : cin)) / groups;
    this.weight = this.param('weight', kaimingNormal(gen, [k, k, cin / groups, cout], fan));
    this.bias = this.spec.bias ? this.param('bias', zeros([cout])) : null;
  }

  forward(x: Tensor): Tensor {
    const { k, stride, padding, dilation, groups, cout } = this.spec;
    const [n, h, w] = x.shape;
    checkBinding(this.label, [n, convOutputSize(h, k, stride, padding, dilation), convOutputSize(w, k, stride, padding, dilation), cout]);
    return conv2d(x, this.weight, { stride, padding, dilation, groups, bias: this.bias });
  }
}

export class BatchNorm2d extends Layer {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  constructor(
    readonly channels: number,
    /** Weight of each batch's statistics in the running averages (settable, as in PyTorch: BN recalibration uses 1/k). */
    public momentum = 0.1,
    readonly eps = 1e-5,
  ) {
    super();
    this.weight = this.param('weight', fill([channels], 1));
    this.bias = this.param('bias', zeros([channels]));
    this.runningMean = this.buffer('running_mean', zeros([channels]));
    this.runningVar = this.buffer('running_var', fill([channels], 1));
  }
  forward(x: Tensor): Tensor {
    return this.norm(x, false);
  }
  /**
   * relu(forward(x)) as one op (batchNorm's fused ReLU, with or without a tape): the same bits,
   * without the ReLU's forward and backward passes; written into `into` as ReLU.forwardInto does.
   */
  forwardRelu(x: Tensor, into?: Tensor): Tensor {
    return this.norm(x, true, into);
  }
  override fusedWith(next: Layer): ((x: Tensor, into?: Tensor) => Tensor) | null {
    return next instanceof ReLU ? (x, into) => this.forwardRelu(x, into) : null;
  }
  private norm(x: Tensor, relu: boolean, into?: Tensor): Tensor {
    return batchNorm(x, this.weight, this.bias, this.runningMean, this.runningVar, { training: this.training, momentum: this.momentum, eps: this.eps, relu, into });
  }
}

export class ReLU extends Layer {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
  override forwardInto(x: Tensor, into: Tensor): Tensor {
    return relu(x, into);
  }
}

export class MaxPool2d extends Layer {
  constructor(
    readonly k: number,
    readonly stride: number,
    readonly padding: number,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, { kernel: this.k, stride: this.stride, padding: this.padding });
  }
}

export class Dropout extends Layer {
  /**
   * Monte-Carlo dropout: while set, the layer drops with masks from this stream whatever the mode
   * (the model's forward sets it for one call; see ForwardOptions.mcDropout in deeplabv3plus.ts).
   */
  mc: DropoutRng | null = null;
  constructor(
    readonly p: number,
    readonly rng: DropoutRng,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    if (this.mc) return this.p > 0 ? dropout(x, this.p, this.mc) : x;
    return this.training && this.p > 0 ? dropout(x, this.p, this.rng) : x;
  }
}

/** conv (no bias) + BN + ReLU, children named 0, 1, 2 as torch's Sequential. */
export function convBnRelu(spec: ConvSpec, gen: Generator): Sequential {
  return new Sequential(new Conv2d({ ...spec, bias: false }, gen), new BatchNorm2d(spec.cout), new ReLU());
}

/**
 * A head conv: with `separable` and k > 1 it is a depthwise k x k conv followed by a pointwise 1x1
 * (children 0 and 1, as the reference's AtrousSeparableConvolution: no BN between them, bias
 * only on the pointwise when asked); otherwise a plain conv.
 */
export function headConv(spec: ConvSpec, separable: boolean, gen: Generator): Layer {
  if (!separable || spec.k === 1) return new Conv2d(spec, gen);
  return new Sequential(
    new Conv2d({ ...spec, cout: spec.cin, groups: spec.cin, bias: false }, gen),
    new Conv2d({ cin: spec.cin, cout: spec.cout, k: 1, bias: spec.bias, init: spec.init }, gen),
  );
}

/** Head conv + BN + ReLU (children 0, 1, 2). */
export function headConvBnRelu(spec: ConvSpec, separable: boolean, gen: Generator): Sequential {
  return new Sequential(headConv({ ...spec, bias: false }, separable, gen), new BatchNorm2d(spec.cout), new ReLU());
}

/** Names every Conv2d after its dotted path (for the binding-size error). */
export function labelConvs(root: Module, prefix = ''): void {
  for (const [name, m] of root.namedModules(prefix)) if (m instanceof Conv2d) m.label = name;
}
