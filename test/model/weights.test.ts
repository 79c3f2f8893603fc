// Import of pretrained ResNet weights from safetensors files the test writes itself in PyTorch's
// layout (OIHW conv weights) under each accepted naming scheme, with the extras a torchvision
// state_dict carries (fc.*, num_batches_tracked as I64).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { read } from '../../src/engine/io.js';
import { Generator } from '../../src/engine/random.js';
import { writeSafetensors, type TensorData } from '../../src/engine/safetensors.js';
import { DeepLabV3Plus } from '../../src/model/deeplabv3plus.js';
import { ResNet } from '../../src/model/resnet.js';
import { hwioToOihw, importResNetWeights, oihwToHwio } from '../../src/model/weights.js';
import { useEngine } from '../helpers.js';

useEngine();

type Renamer = (alseg: string) => string;
const CSAIL: Record<string, string> = { 'conv1.0': 'conv1', 'conv1.1': 'bn1', 'conv1.3': 'conv2', 'conv1.4': 'bn2', 'conv1.6': 'conv3', bn1: 'bn3' };
const SCHEMES: [string, 'deep' | 'standard', Renamer][] = [
  ['deep-stem', 'deep', (n) => `module.${n}`],
  ['mmseg', 'deep', (n) => n.replace(/^conv1\.(\d)\./, 'stem.$1.').replace(/^bn1\./, 'stem.7.')],
  ['csail', 'deep', (n) => n.replace(/^(conv1\.\d|bn1)\./, (_, m: string) => `${CSAIL[m]}.`)],
  ['torchvision', 'standard', (n) => n],
];

/** The backbone's state in PyTorch layout under another naming scheme, plus fc and counters. */
async function exportAs(r: ResNet, rename: Renamer): Promise<Map<string, TensorData>> {
  const out = new Map<string, TensorData>();
  for (const [name, t] of r.namedState()) {
    const data = (await read(t)) as Float32Array;
    const pt = t.rank === 4 ? hwioToOihw(data, t.shape) : { data, shape: [...t.shape] };
    out.set(rename(name), pt);
    if (name.endsWith('running_var')) out.set(rename(name.replace('running_var', 'num_batches_tracked')), { data: BigInt64Array.from([100n]), shape: [] } as unknown as TensorData);
  }
  out.set('fc.weight', { data: new Float32Array(10 * r.highChannels), shape: [10, r.highChannels] });
  out.set('fc.bias', { data: new Float32Array(10), shape: [10] });
  return out;
}

describe('pretrained weights', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alseg-w-'));

  it('OIHW <-> HWIO permutations invert each other and match PyTorch indexing', () => {
    const shape = [5, 3, 2, 4]; // O I H W
    const src = Float32Array.from({ length: 120 }, (_, i) => i);
    const { data, shape: hwio } = oihwToHwio(src, shape);
    expect(hwio).toEqual([2, 4, 3, 5]);
    // w[o=4, i=2, y=1, x=3] lands at [y, x, i, o].
    expect(data[((1 * 4 + 3) * 3 + 2) * 5 + 4]).toBe(src[((4 * 3 + 2) * 2 + 1) * 4 + 3]);
    expect(Array.from(hwioToOihw(data, hwio).data)).toEqual(Array.from(src));
  });

  for (const [scheme, stem, rename] of SCHEMES) {
    it(`imports ${scheme} names (${stem} stem) exactly`, async () => {
      const source = new ResNet({ depth: 18, width: 1 / 16, stem }, new Generator(1));
      // Non-trivial running statistics, so buffers are checked too.
      const path = join(dir, `${scheme}.safetensors`);
      await writeSafetensors(path, await exportAs(source, rename));
      const model = new DeepLabV3Plus({ backbone: { depth: 18, width: 1 / 16, stem }, numClasses: 3, seed: 2 });
      const report = await importResNetWeights(model.backbone, path);
      expect(report.scheme).toBe(scheme);
      expect(report.loaded.length).toBe(source.namedState().length);
      expect(report.missing).toEqual([]);
      expect(report.ignored).toContain('fc.weight');
      expect(report.ignored.length).toBe(2 + source.namedModules().filter(([, m]) => m.namedBuffers().length === 2 && m.children().length === 0).length);
      expect(report.ignored.some((n) => n.endsWith('num_batches_tracked'))).toBe(true);
      const target = new Map(model.backbone.namedState());
      for (const [name, t] of source.namedState()) expect(await read(target.get(name)!), name).toEqual(await read(t));
      source.dispose();
      model.dispose();
    });
  }

  it('a stem, depth or width mismatch is a clear error', async () => {
    const deep = new ResNet({ depth: 18, width: 1 / 16 }, new Generator(3));
    const standardFile = join(dir, 'torchvision.safetensors');
    await expect(importResNetWeights(deep, standardFile)).rejects.toThrow(/torchvision's 7x7 stem .* built with stem: 'deep'; build it with stem: 'standard'/);
    const wide = new ResNet({ depth: 18, width: 1 / 8 }, new Generator(3));
    await expect(importResNetWeights(wide, join(dir, 'deep-stem.safetensors'))).rejects.toThrow(
      /"module\.conv1\.0\.weight" is \[4, 3, 3, 3\] but backbone "conv1\.0\.weight" needs \[8, 3, 3, 3\] \(PyTorch OIHW\): a different depth or width\?/,
    );
    const r34 = new ResNet({ depth: 34, width: 1 / 16 }, new Generator(3));
    await expect(importResNetWeights(r34, join(dir, 'deep-stem.safetensors'))).rejects.toThrow(/backbone tensors are missing from the file \(deep-stem names\), e\.g\. "layer1\.2\.conv1\.weight"/);
    const partial = await importResNetWeights(r34, join(dir, 'deep-stem.safetensors'), { allowMissing: true });
    expect(partial.missing.length).toBeGreaterThan(0);
    for (const r of [deep, wide, r34]) r.dispose();
  });
});
