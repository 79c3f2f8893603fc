// Atrous Spatial Pyramid Pooling (DeepLabv3): a 1x1 branch, three atrous 3x3 branches, and an
// image-pooling branch (global average -> 1x1 -> BN -> ReLU -> broadcast back), concatenated and
// projected 1x1 -> BN -> ReLU -> dropout. Names follow the reference implementation
// (VainF/DeepLabV3Plus-Pytorch): convs.0 .. convs.4 (convs.4 the pooling branch), project.
import type { DropoutRng } from '../engine/ops/dropout.js';
import { globalAvgPool } from '../engine/ops/pool.js';
import { concatBy } from '../engine/ops/shape.js';
import type { Generator } from '../engine/random.js';
import type { Tensor } from '../engine/tensor.js';
import { expandTo } from './functional.js';
import { BatchNorm2d, Conv2d, Dropout, ReLU, convBnRelu, headConvBnRelu } from './layers.js';
import { Layer, Sequential } from './module.js';

export interface AsppConfig {
  cin: number;
  /** Channels of every branch and of the projection (256 in the paper). */
  channels: number;
  /** Dilations of the three atrous branches (6/12/18 at output stride 16, 12/24/36 at 8). */
  rates: readonly [number, number, number];
  /** Depthwise + pointwise for the 3x3 branches. */
  separable: boolean;
  dropout: number;
}

/** ASPP rates for an output stride: 6/12/18 at 16, doubled at 8, halved at 32. */
export function asppRates(outputStride: number): [number, number, number] {
  const f = 16 / outputStride;
  return [6 * f, 12 * f, 18 * f];
}

class GlobalAvgPool extends Layer {
  forward(x: Tensor): Tensor {
    return globalAvgPool(x);
  }
}

export class Aspp extends Layer {
  readonly branches: Layer[];
  readonly pooling: Sequential;
  readonly project: Sequential;

  constructor(
    readonly config: AsppConfig,
    gen: Generator,
    dropoutRng: DropoutRng,
  ) {
    super();
    const { cin, channels, rates, separable } = config;
    // Head convs take PyTorch's default fan-in Kaiming init, as the reference's _init_weight.
    const init = 'fan_in';
    this.branches = [convBnRelu({ cin, cout: channels, k: 1, init }, gen), ...rates.map((r) => headConvBnRelu({ cin, cout: channels, k: 3, dilation: r, init }, separable, gen))];
    this.branches.forEach((b, i) => this.child(`convs.${i}`, b));
    this.pooling = this.child('convs.4', new Sequential(new GlobalAvgPool(), new Conv2d({ cin, cout: channels, k: 1, init }, gen), new BatchNorm2d(channels), new ReLU()));
    this.project = this.child(
      'project',
      new Sequential(new Conv2d({ cin: 5 * channels, cout: channels, k: 1, init }, gen), new BatchNorm2d(channels), new ReLU(), new Dropout(config.dropout, dropoutRng)),
    );
  }

  forward(x: Tensor): Tensor {
    const [n, h, w] = x.shape;
    const part = [n, h, w, this.config.channels];
    // Each branch writes its slice of the concatenation (no copy pass); bilinear upsampling of the
    // pooled 1x1 map is a broadcast, written into its slice too.
    const produce = [...this.branches.map((b) => (into: Tensor) => b.forwardInto(x, into)), (into: Tensor) => expandTo(this.pooling.forward(x), part, into)];
    return this.project.forward(concatBy(produce.map(() => part), 3, produce));
  }
}
