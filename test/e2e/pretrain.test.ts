// `alseg pretrain` as a user runs it: trains a backbone on image-level labels of its own source
// set, saves it with its settings, reuses it on a rerun, and `train --pretrained` can load it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cropTargets, readPretrainInfo } from '../../src/experiments/pretrain.js';
import { meanAveragePrecision } from '../../src/al/metrics.js';
import { readF32 } from '../../src/engine/io.js';
import { readSafetensors } from '../../src/engine/safetensors.js';
import { createModel } from '../../src/model/presets.js';
import { importResNetWeights } from '../../src/model/weights.js';
import { runCli } from '../cli-build.js';
import { useEngine } from '../helpers.js';

useEngine();

describe('pretrain (ImageNet stand-in)', () => {
  it('targets are the classes present in each crop, normalised; padding and rare classes count for nothing', () => {
    // Two crops of 100 px: [60 x class 1, 39 x class 2, 1 x class 0], and only padding.
    const labels = new Uint8Array(200).fill(255);
    labels.fill(1, 0, 60);
    labels.fill(2, 60, 99);
    labels[99] = 0;
    const t = cropTargets(labels, 2, 100, 3, 0.02);
    expect(Array.from(t)).toEqual([0, 0.5, 0.5, 0, 0, 0]);
  });

  it('mean average precision: 1 for a perfect ranking, the textbook value for a mixed one', () => {
    expect(meanAveragePrecision([[0.9], [0.1], [0.5]], [[true], [false], [true]])).toBe(1);
    // class 0 ranked: item 2 (pos), item 0 (neg), item 1 (pos): AP = (1/1 + 2/3) / 2
    expect(meanAveragePrecision([[0.5], [0.1], [0.9]], [[false], [true], [true]])).toBeCloseTo((1 + 2 / 3) / 2, 12);
  });

  it('the command trains, records its settings and scores, reuses the file, and the backbone loads', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'alseg-pretrain-'));
    // Short, but long enough to learn: 32 validation images give 64 tiles, few enough classes per
    // tile for the ranking to mean something (on 4 images of 64x96 the untrained model scored
    // 100%), and 80 iterations of 4 x 64 px crops at lr 4e-3 raised the mAP from 56.4% to 60.4% on
    // lavapipe (9.6 s); 30 iterations of 2 x 48 px crops did not move it.
    const withIterations = (n: number) => ['pretrain', '--iterations', String(n), '--source-size', '16x32@64x128', '--batch', '4', '--crop', '64', '--lr', '4e-3', '--out', 'w.safetensors'];
    const args = withIterations(80);
    const first = runCli(args, cwd);
    expect(first).toMatch(/w\.safetensors: pretrained in \d+s/);
    const printed = /validation mAP .*: (\d+\.\d)% \(untrained: (\d+\.\d)%\)/.exec(first);
    expect(printed, first).not.toBeNull();
    const info = await readPretrainInfo(join(cwd, 'w.safetensors'));
    expect(info?.config).toMatchObject({ preset: 'tiny', iterations: 80, batch: 4, crop: 64, lr: 4e-3, source: { seed: 7919, train: 16, val: 32, height: 64, width: 128 } });
    // What it prints is what it recorded, and the pretrained backbone ranks clearly better than
    // the untrained one it started from (by over 2 points of mAP).
    expect([Number(printed![1]), Number(printed![2])]).toEqual([+(100 * info!.valMap).toFixed(1), +(100 * info!.valMapUntrained).toFixed(1)]);
    expect(info!.valMap).toBeGreaterThan(info!.valMapUntrained + 0.02);
    // The saved weights are not the initial ones: the same preset and seed, untrained, differs in
    // every weight tensor of the backbone (batch-norm statistics aside, which training also moves).
    const trained = createModel('tiny', { numClasses: 15, seed: info!.config.seed });
    const untrained = createModel('tiny', { numClasses: 15, seed: info!.config.seed });
    await importResNetWeights(trained.backbone, join(cwd, 'w.safetensors'));
    const before = new Map(untrained.backbone.namedState());
    let weights = 0;
    const unchanged: string[] = [];
    for (const [name, t] of trained.backbone.namedState()) {
      if (!name.endsWith('weight') || t.rank !== 4) continue;
      weights++;
      const [a, b] = [await readF32(t), await readF32(before.get(name)!)];
      if (a.every((v, i) => v === b[i])) unchanged.push(name);
    }
    expect(weights).toBeGreaterThan(10);
    expect(unchanged, 'backbone convolutions the pretraining left at their initial values').toEqual([]);
    trained.dispose();
    untrained.dispose();
    // Only backbone tensors, in PyTorch layout: no classifier, nothing of the segmentation head.
    const names = [...(await readSafetensors(join(cwd, 'w.safetensors'))).tensors.keys()];
    expect(names.some((n) => n.startsWith('layer4.'))).toBe(true);
    expect(names.some((n) => n.startsWith('head') || n.startsWith('fc'))).toBe(false);
    // A rerun with the same settings reuses the file; other settings are refused, not overwritten.
    expect(runCli(args, cwd)).toMatch(/w\.safetensors: reused/);
    expect(() => runCli(withIterations(81), cwd)).toThrow(/already holds weights pretrained with other settings/);
    expect(() => runCli(['pretrain', '--source-seed', '0', '--out', 'x.safetensors'], cwd)).toThrow(/active-learning sets' seed/);
    const model = createModel('tiny', { numClasses: 15, undefinedClass: true, seed: 3 });
    const report = await importResNetWeights(model.backbone, join(cwd, 'w.safetensors'));
    expect(report.missing).toEqual([]);
    expect(report.loaded.length).toBe(model.backbone.namedState().length);
    model.dispose();
  });
});
