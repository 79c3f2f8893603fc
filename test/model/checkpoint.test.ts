// Checkpoints: save -> load into a differently initialised model and optimiser gives identical
// outputs and an identical next training step; damaged or mismatched checkpoints fail with the
// file and the tensor named, before anything is written.
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { read } from '../../src/engine/io.js';
import { AdamW, SGD } from '../../src/engine/optim.js';
import { readSafetensors, writeSafetensors, type TensorData } from '../../src/engine/safetensors.js';
import { Tensor, tidy } from '../../src/engine/tensor.js';
import { loadCheckpoint, readCheckpointInfo, saveCheckpoint } from '../../src/model/checkpoint.js';
import { createModel, presetConfig } from '../../src/model/presets.js';
import { LossLog, batchLoss, segmentationLoss, trainStep } from '../../src/model/train-step.js';
import { useEngine } from '../helpers.js';
import { shapesBatch } from './synthetic.js';

useEngine();

async function outputs(model: ReturnType<typeof createModel>, images: Tensor): Promise<Float32Array[]> {
  const out = tidy(() => model.predict(images));
  const r = [(await read(out.logits)) as Float32Array, (await read(out.features!)) as Float32Array];
  out.logits.dispose();
  out.features!.dispose();
  return r;
}

describe('checkpoints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alseg-ckpt-'));
  const path = join(dir, 'model.safetensors');
  const b = shapesBatch(2, 32, 32, 5);

  it('save -> load gives identical outputs, optimiser state, metadata and next step', async () => {
    const images = Tensor.fromArray(b.images, [2, 32, 32, 3]).keep();
    const labels = Tensor.fromArray(b.labels, [2, 32, 32], 'i32').keep();
    const config = presetConfig('tiny', { numClasses: 4, undefinedClass: true, seed: 1 });
    const a = createModel('tiny', { numClasses: 4, undefinedClass: true, seed: 1 });
    const optA = new AdamW(a.paramGroups(1e-3));
    const loss = segmentationLoss(labels);
    const log = new LossLog();
    for (let i = 0; i < 3; i++) log.push(trainStep(a, optA, 2, batchLoss(a, images, loss), { lrFactor: 0.9 }));
    await log.drain();
    await saveCheckpoint(path, { model: a, optimizer: optA, config, round: 2, iteration: 3, extra: { note: 'test' } });
    expect(readdirSync(dir)).toEqual(['model.safetensors']);

    const info = await readCheckpointInfo(path);
    expect(info).toMatchObject({ config, round: 2, iteration: 3, optimizer: 'AdamW', optimizerSteps: 3, extra: { note: 'test' } });
    const file = await readSafetensors(path);
    expect(file.tensors.has('model.backbone.layer1.0.bn1.running_mean')).toBe(true);
    expect(file.tensors.has('optim.head.cosine.weight.exp_avg_sq')).toBe(true);

    const c = createModel('tiny', { numClasses: 4, undefinedClass: true, seed: 99 });
    const optC = new AdamW(c.paramGroups(1e-3));
    const loaded = await loadCheckpoint(path, { model: c, optimizer: optC });
    expect(loaded.iteration).toBe(3);
    expect(optC.steps).toBe(3);
    expect(optC.lrFactor).toBe(0.9);
    expect(c.dropoutRng).toEqual(a.dropoutRng);
    const [la, fa] = await outputs(a, images);
    const [lc, fc] = await outputs(c, images);
    expect(lc).toEqual(la);
    expect(fc).toEqual(fa);
    // The next training step (AdamW moments, step count, BN stats, dropout stream) is identical too.
    log.push(trainStep(a, optA, 2, batchLoss(a, images, loss)));
    log.push(trainStep(c, optC, 2, batchLoss(c, images, loss)));
    const [sa, sc] = await log.drain();
    expect(sc).toBe(sa);
    for (const o of [optA, optC]) o.dispose();
    for (const m of [a, c]) m.dispose();
    images.dispose();
    labels.dispose();
  });

  it('mismatched models, optimisers and damaged files give clear errors and leave the model untouched', async () => {
    const images = Tensor.fromArray(b.images, [2, 32, 32, 3]).keep();
    const m = createModel('tiny', { numClasses: 4, undefinedClass: true, seed: 7 });
    const before = await outputs(m, images);
    const fails = async (p: string, re: RegExp, model = m, optimizer: AdamW | SGD | null = null) => {
      await expect(loadCheckpoint(p, { model, optimizer })).rejects.toThrow(re);
    };
    // Different number of classes: the cosine weights' shape differs.
    const other = createModel('tiny', { numClasses: 6, seed: 7 });
    await fails(path, /model\.safetensors: tensor "model\.head\.cosine\.weight" has shape \[5, 32\] in the checkpoint, the model expects \[6, 32\]/, other);
    // A different depth: a tensor is missing.
    const deeper = createModel('tiny', { numClasses: 4, undefinedClass: true, seed: 7, overrides: { backbone: { depth: 34, width: 1 / 8 } } });
    await fails(path, /tensor "model\.backbone\.layer1\.2\.conv1\.weight" is missing from the checkpoint/, deeper);
    // Optimiser kind.
    const sgd = new SGD(m.paramGroups(1e-3));
    await fails(path, /the checkpoint's optimiser is AdamW, the run uses SGD/, m, sgd);
    // Wrong dtype for one tensor.
    const file = await readSafetensors(path);
    const tensors = new Map<string, TensorData>();
    for (const [name, t] of file.tensors) {
      const copy = t.bytes.slice().buffer;
      tensors.set(name, { data: name === 'model.head.cosine.weight' ? new Int32Array(copy) : new Float32Array(copy), shape: t.shape });
    }
    const typed = join(dir, 'dtype.safetensors');
    await writeSafetensors(typed, tensors, file.metadata);
    await fails(typed, /dtype\.safetensors: tensor "model\.head\.cosine\.weight" is I32 in the checkpoint, the model expects F32/);
    // An extra tensor (strict by default).
    tensors.set('model.head.cosine.weight', { data: new Float32Array(5 * 32), shape: [5, 32] });
    tensors.set('model.head.extra.weight', { data: new Float32Array(2), shape: [2] });
    const extra = join(dir, 'extra.safetensors');
    // (Files made by hand here carry no checksum; with the original's they would fail on it first.)
    const { checksum, ...unchecked } = file.metadata;
    await writeSafetensors(join(dir, 'summed.safetensors'), tensors, { ...unchecked, checksum });
    await fails(join(dir, 'summed.safetensors'), /summed\.safetensors: the tensors do not match the checkpoint's checksum \(the file is damaged\)/);
    await writeSafetensors(extra, tensors, unchecked);
    await fails(extra, /the checkpoint has a tensor "model\.head\.extra\.weight" that the model does not/);
    // Truncated and corrupt files.
    const bytes = readFileSync(path);
    const cut = join(dir, 'cut.safetensors');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    await fails(cut, /cut\.safetensors is not a valid safetensors file: tensor "[^"]+" ends at byte \d+ of a \d+-byte data section \(truncated\)/);
    const garbled = join(dir, 'garbled.safetensors');
    const g = Buffer.from(bytes);
    g[8] = 0x78; // the header's opening brace
    writeFileSync(garbled, g);
    await fails(garbled, /garbled\.safetensors is not a valid safetensors file: header is not valid JSON/);
    // A safetensors file that is not a checkpoint.
    const plain = join(dir, 'plain.safetensors');
    await writeSafetensors(plain, { w: { data: new Float32Array(1), shape: [1] } });
    await fails(plain, /plain\.safetensors is not an alseg checkpoint/);
    // Nothing was written by any failed load.
    expect(await outputs(m, images)).toEqual(before);
    copyFileSync(path, join(dir, 'copy.safetensors'));
    for (const x of [m, other, deeper]) x.dispose();
    sgd.dispose();
    images.dispose();
  });
});
