// ResNet backbones for segmentation: ResNet-18/34 (basic blocks) and ResNet-50/101 (bottlenecks,
// stride on the 3x3 conv as torchvision's v1.5), with
//   - the deep stem of the method (3x3 s2 3->64, 3x3 64->64, 3x3 64->128, each followed by BN and
//     ReLU, then a 3x3 max-pool s2 p1), named as PyTorch-Encoding's / timm's deep-stem ResNets:
//     conv1.0 conv1.1(BN) conv1.3 conv1.4(BN) conv1.6, bn1 (the third conv's BN);
//   - or torchvision's standard stem (7x7 s2 conv1 + bn1), so torchvision's ImageNet weights load;
//   - output stride 32, 16 (layer4 dilated 2, stride 1) or 8 (layer3 dilated 2, layer4 dilated 4),
//     following torchvision's replace_stride_with_dilation: the first block of a dilated layer
//     keeps the previous dilation, the rest take the new one;
//   - a width multiplier that scales every channel count (rounded to a multiple of 4, at least 4),
//     so tests and the CPU preset run the same code on narrow networks.
// forward returns the low-level (layer1, stride 4) and high-level (layer4) features, NHWC.
import { add, relu } from '../engine/ops/elementwise.js';
import type { Generator } from '../engine/random.js';
import type { Tensor } from '../engine/tensor.js';
import { BatchNorm2d, Conv2d, MaxPool2d, ReLU, labelConvs } from './layers.js';
import { Layer, Module, Sequential } from './module.js';

export type ResNetDepth = 18 | 34 | 50 | 101;

export interface ResNetConfig {
  depth: ResNetDepth;
  /** Channel multiplier (1 = the paper's widths). */
  width?: number;
  /** Stride of layer4's output relative to the input. */
  outputStride?: 8 | 16 | 32;
  /** 'deep' (the method's three 3x3 convs, default) or torchvision's 7x7 'standard' stem. */
  stem?: 'deep' | 'standard';
}

export interface BackboneFeatures {
  /** layer1 output, stride 4: [N, ceil(H/4)', W', lowChannels]. */
  low: Tensor;
  /** layer4 output at the output stride: [N, H', W', highChannels]. */
  high: Tensor;
}

const LAYOUT: Record<ResNetDepth, { bottleneck: boolean; blocks: [number, number, number, number] }> = {
  18: { bottleneck: false, blocks: [2, 2, 2, 2] },
  34: { bottleneck: false, blocks: [3, 4, 6, 3] },
  50: { bottleneck: true, blocks: [3, 4, 6, 3] },
  101: { bottleneck: true, blocks: [3, 4, 23, 3] },
};

/** A channel count scaled by the width multiplier: a multiple of 4 (vec4 kernels), at least 4. */
export function scaleChannels(c: number, width: number): number {
  if (width === 1) return c;
  return Math.max(4, Math.round((c * width) / 4) * 4);
}

class BasicBlock extends Layer {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Sequential | null;
  constructor(inplanes: number, planes: number, stride: number, dilation: number, gen: Generator) {
    super();
    this.conv1 = this.child('conv1', new Conv2d({ cin: inplanes, cout: planes, k: 3, stride, dilation }, gen));
    this.bn1 = this.child('bn1', new BatchNorm2d(planes));
    this.conv2 = this.child('conv2', new Conv2d({ cin: planes, cout: planes, k: 3, dilation }, gen));
    this.bn2 = this.child('bn2', new BatchNorm2d(planes));
    this.downsample = stride !== 1 || inplanes !== planes ? this.child('downsample', downsample(inplanes, planes, stride, gen)) : null;
  }
  forward(x: Tensor): Tensor {
    const out = this.bn2.forward(this.conv2.forward(this.bn1.forwardRelu(this.conv1.forward(x))));
    return relu(add(out, this.downsample ? this.downsample.forward(x) : x));
  }
}

class Bottleneck extends Layer {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly downsample: Sequential | null;
  constructor(inplanes: number, planes: number, outplanes: number, stride: number, dilation: number, gen: Generator) {
    super();
    this.conv1 = this.child('conv1', new Conv2d({ cin: inplanes, cout: planes, k: 1 }, gen));
    this.bn1 = this.child('bn1', new BatchNorm2d(planes));
    this.conv2 = this.child('conv2', new Conv2d({ cin: planes, cout: planes, k: 3, stride, dilation }, gen));
    this.bn2 = this.child('bn2', new BatchNorm2d(planes));
    this.conv3 = this.child('conv3', new Conv2d({ cin: planes, cout: outplanes, k: 1 }, gen));
    this.bn3 = this.child('bn3', new BatchNorm2d(outplanes));
    this.downsample = stride !== 1 || inplanes !== outplanes ? this.child('downsample', downsample(inplanes, outplanes, stride, gen)) : null;
  }
  forward(x: Tensor): Tensor {
    const a = this.bn1.forwardRelu(this.conv1.forward(x));
    const b = this.bn2.forwardRelu(this.conv2.forward(a));
    const c = this.bn3.forward(this.conv3.forward(b));
    return relu(add(c, this.downsample ? this.downsample.forward(x) : x));
  }
}

function downsample(cin: number, cout: number, stride: number, gen: Generator): Sequential {
  return new Sequential(new Conv2d({ cin, cout, k: 1, stride, padding: 0 }, gen), new BatchNorm2d(cout));
}

export class ResNet extends Module {
  readonly config: Required<ResNetConfig>;
  readonly stem: Layer;
  readonly layers: Sequential[];
  readonly lowChannels: number;
  readonly highChannels: number;
  /**
   * Stride of layer4's output relative to the input (8, 16 or 32, from the config). Strides past
   * it become dilation: layer4's 3x3 convs reach dilation 32 / outputStride (its first block keeps
   * the previous stage's, as torchvision does), and ASPP's rates scale with 16 / outputStride.
   */
  readonly outputStride: number;

  constructor(config: ResNetConfig, gen: Generator) {
    super();
    const cfg: Required<ResNetConfig> = { width: 1, outputStride: 16, stem: 'deep', ...config };
    this.config = cfg;
    const layout = LAYOUT[cfg.depth];
    if (!layout) throw new Error(`ResNet: depth ${cfg.depth} is not one of 18, 34, 50, 101`);
    if (![8, 16, 32].includes(cfg.outputStride)) throw new Error(`ResNet: output stride ${cfg.outputStride} is not 8, 16 or 32`);
    if (!(cfg.width > 0)) throw new Error(`ResNet: width multiplier ${cfg.width} must be positive`);
    const ch = (c: number) => scaleChannels(c, cfg.width);

    let inplanes: number;
    if (cfg.stem === 'deep') {
      const c1 = this.child(
        'conv1',
        new Sequential(
          new Conv2d({ cin: 3, cout: ch(64), k: 3, stride: 2 }, gen),
          new BatchNorm2d(ch(64)),
          new ReLU(),
          new Conv2d({ cin: ch(64), cout: ch(64), k: 3 }, gen),
          new BatchNorm2d(ch(64)),
          new ReLU(),
          new Conv2d({ cin: ch(64), cout: ch(128), k: 3 }, gen),
        ),
      );
      inplanes = ch(128);
      const bn1 = this.child('bn1', new BatchNorm2d(inplanes));
      this.stem = stemOf(c1, bn1);
    } else {
      const c1 = this.child('conv1', new Conv2d({ cin: 3, cout: ch(64), k: 7, stride: 2, padding: 3 }, gen));
      inplanes = ch(64);
      const bn1 = this.child('bn1', new BatchNorm2d(inplanes));
      this.stem = stemOf(c1, bn1);
    }

    const dilate = cfg.outputStride === 8 ? [false, false, true, true] : cfg.outputStride === 16 ? [false, false, false, true] : [false, false, false, false];
    const expansion = layout.bottleneck ? Bottleneck.expansion : BasicBlock.expansion;
    let dilation = 1;
    this.layers = [];
    [64, 128, 256, 512].forEach((base, i) => {
      const planes = ch(base);
      const outplanes = layout.bottleneck ? ch(base * expansion) : planes;
      let stride = i === 0 ? 1 : 2;
      const previous = dilation;
      if (dilate[i]) {
        dilation *= stride;
        stride = 1;
      }
      const blocks: Layer[] = [];
      for (let b = 0; b < layout.blocks[i]; b++) {
        const s = b === 0 ? stride : 1;
        const d = b === 0 ? previous : dilation;
        blocks.push(layout.bottleneck ? new Bottleneck(inplanes, planes, outplanes, s, d, gen) : new BasicBlock(inplanes, planes, s, d, gen));
        inplanes = outplanes;
      }
      this.layers.push(this.child(`layer${i + 1}`, new Sequential(...blocks)));
    });
    this.lowChannels = layout.bottleneck ? ch(64 * expansion) : ch(64);
    this.highChannels = inplanes;
    this.outputStride = cfg.outputStride;
    labelConvs(this);
  }

  forward(x: Tensor): BackboneFeatures {
    const low = this.layers[0].forward(this.stem.forward(x));
    let high = low;
    for (let i = 1; i < 4; i++) high = this.layers[i].forward(high);
    return { low, high };
  }
}

/** conv1 -> bn1 -> ReLU -> 3x3 max-pool s2 p1, over modules already registered under their names. */
function stemOf(conv1: Layer, bn1: BatchNorm2d): Layer {
  const pool = new MaxPool2d(3, 2, 1);
  return new (class extends Layer {
    forward(x: Tensor): Tensor {
      return pool.forward(bn1.forwardRelu(conv1.forward(x)));
    }
  })();
}
