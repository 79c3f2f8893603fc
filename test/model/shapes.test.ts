// Output shapes of every preset at several input sizes (odd ones included), parameter names and
// counts against torchvision's ResNets, and the binding-size error.
import { describe, expect, it } from 'vitest';
import { Generator } from '../../src/engine/random.js';
import { sync } from '../../src/engine/runtime.js';
import { tidy } from '../../src/engine/tensor.js';
import { DeepLabV3Plus } from '../../src/model/deeplabv3plus.js';
import { checkBinding } from '../../src/model/layers.js';
import { PRESETS, createModel } from '../../src/model/presets.js';
import { ResNet } from '../../src/model/resnet.js';
import { useEngine } from '../helpers.js';

useEngine();

const quarter = (s: number) => Math.ceil(Math.ceil(s / 2) / 2);

function expectShapes(model: DeepLabV3Plus, n: number, h: number, w: number): void {
  tidy(() => {
    const x = new Generator(1).normal([n, h, w, 3]);
    const out = model.forward(x);
    expect(out.logits.shape).toEqual([n, quarter(h), quarter(w), model.outputs]);
    expect(out.features!.shape).toEqual([n, quarter(h), quarter(w), model.featureChannels]);
  });
}

describe('shapes', () => {
  it('tiny: train and eval forward at several sizes, odd ones included, OS16 and OS8', async () => {
    const m = createModel('tiny', { numClasses: 19, undefinedClass: true, seed: 3 });
    expect(m.outputs).toBe(20);
    expect(m.undefinedIndex).toBe(19);
    expect(m.featureChannels).toBe(32);
    for (const [n, h, w] of [
      [2, 64, 64],
      [2, 33, 47],
      [3, 17, 9],
      [2, 128, 96],
    ]) expectShapes(m, n, h, w);
    m.eval();
    expectShapes(m, 1, 31, 31);
    m.dispose();
    const os8 = createModel('tiny', { numClasses: 4, seed: 1, overrides: { backbone: { depth: 34, width: 1 / 16, outputStride: 8 }, separable: false } });
    expect(os8.backbone.layers[3].layers[1].namedParameters()[0]).toBeDefined();
    expectShapes(os8, 2, 41, 23);
    const feats = tidy(() => os8.backbone.forward(new Generator(2).normal([2, 41, 23, 3])));
    expect(feats.high.shape).toEqual([2, 6, 3, os8.backbone.highChannels]);
    feats.low.dispose();
    feats.high.dispose();
    os8.dispose();
    await sync();
  });

  it('tiny parameter names follow torchvision and the deep-stem ResNets', () => {
    const m = createModel('tiny', { numClasses: 3, seed: 0 });
    const names = m.namedParameters().map(([n]) => n);
    const buffers = m.namedBuffers().map(([n]) => n);
    for (const n of [
      'backbone.conv1.0.weight',
      'backbone.conv1.1.weight',
      'backbone.conv1.3.weight',
      'backbone.conv1.4.bias',
      'backbone.conv1.6.weight',
      'backbone.bn1.weight',
      'backbone.layer1.0.conv1.weight',
      'backbone.layer1.0.downsample.0.weight',
      'backbone.layer4.1.bn2.bias',
      'head.project.0.weight',
      'head.aspp.convs.0.0.weight',
      'head.aspp.convs.1.0.0.weight', // depthwise
      'head.aspp.convs.1.0.1.weight', // pointwise
      'head.aspp.convs.4.1.weight', // image pooling 1x1
      'head.aspp.project.0.weight',
      'head.classifier.1.0.1.weight',
      'head.cosine.weight',
    ]) expect(names).toContain(n);
    expect(buffers).toContain('backbone.layer2.0.bn1.running_var');
    expect(new Set(names).size).toBe(names.length);
    // HWIO weights; depthwise [3, 3, 1, C].
    const byName = new Map(m.namedParameters());
    expect(byName.get('backbone.conv1.0.weight')!.shape).toEqual([3, 3, 3, 8]);
    expect(byName.get('head.aspp.convs.1.0.0.weight')!.shape).toEqual([3, 3, 1, 64]);
    expect(byName.get('head.cosine.weight')!.shape).toEqual([3, 32]);
    const groups = m.paramGroups(1e-3);
    expect(groups.map((g) => [g.name, g.lr])).toEqual([
      ['backbone', 1e-3],
      ['head', 1e-2],
    ]);
    expect(groups[0].params.length + groups[1].params.length).toBe(names.length);
    m.dispose();
  });

  it('backbone parameter counts equal torchvision ResNet-18/34/50/101 (standard stem, fc excluded)', async () => {
    // torchvision: 11,689,512 / 21,797,672 / 25,557,032 / 44,549,160 with fc (512 or 2048 x 1000 + 1000).
    const expected: [18 | 34 | 50 | 101, number][] = [
      [18, 11_689_512 - 513_000],
      [34, 21_797_672 - 513_000],
      [50, 25_557_032 - 2_049_000],
      [101, 44_549_160 - 2_049_000],
    ];
    for (const [depth, count] of expected) {
      const r = new ResNet({ depth, stem: 'standard' }, new Generator(0));
      expect(r.parameterCount(), `ResNet-${depth}`).toBe(count);
      r.dispose();
      await sync();
    }
  });

  it('r50 and r101 presets build at full width and run an eval forward at an odd size', async () => {
    for (const name of ['r50', 'r101'] as const) {
      const m = createModel(name, { numClasses: 19, undefinedClass: true, seed: 0 });
      expect(PRESETS[name].model.backbone.width).toBe(1);
      expect(m.backbone.lowChannels).toBe(256);
      expect(m.backbone.highChannels).toBe(2048);
      expect(m.featureChannels).toBe(256);
      const p = new Map(m.namedParameters());
      expect(p.get('backbone.conv1.6.weight')!.shape).toEqual([3, 3, 64, 128]);
      expect(p.get('backbone.layer1.0.conv1.weight')!.shape).toEqual([1, 1, 128, 64]);
      expect(p.get('head.project.0.weight')!.shape).toEqual([1, 1, 256, 48]);
      expect(p.get('head.classifier.0.0.1.weight')!.shape).toEqual([1, 1, 304, 256]);
      expect(p.get('head.aspp.project.0.weight')!.shape).toEqual([1, 1, 1280, 256]);
      expect(p.get('head.cosine.weight')!.shape).toEqual([20, 256]);
      // Deep stem on top of torchvision's count: 3x3 convs 64/64/128 + BNs, wider layer1 inputs.
      const tv = name === 'r50' ? 25_557_032 - 2_049_000 : 44_549_160 - 2_049_000;
      const stemConvs = 3 * 64 * 9 + 64 * 64 * 9 + 64 * 128 * 9;
      const stemBns = 2 * 64 + 2 * 64 + 2 * 128;
      const stemDelta = stemConvs + stemBns - (64 * 3 * 49 + 2 * 64) + 64 * 64 + 64 * 256;
      expect(m.backbone.parameterCount()).toBe(tv + stemDelta);
      m.eval();
      expectShapes(m, 1, 35, 29);
      m.dispose();
      await sync();
    }
  });

  it('an activation over the adapter binding size is refused with the layer and sizes named', () => {
    expect(() => checkBinding('backbone.conv1.0', [1, 8192, 8192, 64])).toThrow(/backbone\.conv1\.0: its output \[1, 8192, 8192, 64\] needs 16384\.0 MiB, over this adapter's max\w+ of [\d.]+ MiB/);
    const m = new DeepLabV3Plus({ backbone: { depth: 18, width: 1 }, numClasses: 2 });
    expect(() => tidy(() => m.forward(new Generator(0).normal([1, 1800, 1800, 3])))).toThrow(/backbone\.conv1\.0: its output \[1, 900, 900, 64\]/);
    m.dispose();
  });
});
