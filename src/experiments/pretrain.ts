// The ImageNet stand-in: pretrains a preset's backbone with image-level supervision only, so that
// the active-learning runs can start from pretrained features as the paper's start from ImageNet.
// Source: synthetic scenes generated with their own seed (the AL splits use seed 0), disjoint from
// every image the active learning sees. Task: multi-label "which classes appear in this crop",
// from the global average of the backbone's last features through one linear layer, trained with
// cross-entropy against the normalised multi-hot target (a softmax over classes). The per-pixel
// label maps only decide which classes a crop holds; no pixel label ever enters the loss.
// The backbone is saved as safetensors (PyTorch OIHW names, as docs/weights.md describes for real
// ImageNet weights) with the settings in the metadata; a file made with the same settings is reused.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { noGrad } from '../engine/autograd.js';
import { item, readF32 } from '../engine/io.js';
import { add, affine, mul, neg } from '../engine/ops/elementwise.js';
import { matmul } from '../engine/ops/matmul.js';
import { globalAvgPool } from '../engine/ops/pool.js';
import { sum } from '../engine/ops/reduce.js';
import { reshape, zeros } from '../engine/ops/shape.js';
import { logSoftmax, softmax } from '../engine/ops/softmax.js';
import { AdamW, polyLr } from '../engine/optim.js';
import { Generator } from '../engine/random.js';
import { readSafetensors, writeSafetensors, type TensorData } from '../engine/safetensors.js';
import { Tensor, tidy } from '../engine/tensor.js';
import { createModel, type PresetName } from '../model/presets.js';
import type { ResNet } from '../model/resnet.js';
import { trainStep } from '../model/train-step.js';
import { hwioToOihw } from '../model/weights.js';
import { DEFAULT_AUGMENT, IGNORE_LABEL } from '../loader/augment.js';
import { BatchLoader, epochPlan } from '../loader/loader.js';
import { openDataset } from '../data/open-dataset.js';
import { DEFAULT_SYNTHETIC, ensureSyntheticDataset } from '../data/synthetic.js';
import { imageTensor } from '../al/inference.js';
import { meanAveragePrecision } from '../al/metrics.js';
import { hashSeed } from '../data/rng.js';

export const PRETRAIN_FORMAT = 'alseg-pretrained/2';

export interface PretrainConfig {
  preset: PresetName;
  /** The source set: synthetic scenes of this seed (never the AL's seed 0) and size. */
  source: { seed: number; train: number; val: number; height: number; width: number };
  iterations: number;
  batch: number;
  crop: number;
  /** Backbone learning rate (the linear classifier trains at 10x), AdamW, poly schedule. */
  lr: number;
  weightDecay: number;
  /** A class appears in a crop when it covers at least this share of the crop's labelled pixels. */
  minShare: number;
  /** Initialisation and augmentation. */
  seed: number;
}

export const DEFAULT_PRETRAIN: PretrainConfig = {
  preset: 'tiny',
  source: { seed: 7919, train: 400, val: 40, height: 128, width: 256 },
  iterations: 600,
  batch: 8,
  crop: 96,
  lr: 2e-3,
  weightDecay: 1e-5,
  minShare: 0.01,
  seed: 0,
};

/** What a pretraining produced, read from the file's metadata. */
export interface PretrainResult {
  file: string;
  config: PretrainConfig;
  /** Validation mean average precision of the multi-label task, and of the untrained model. */
  valMap: number;
  valMapUntrained: number;
  seconds: number;
  /** True when the file already existed with these settings (nothing was trained). */
  reused: boolean;
}

/** The settings' short hash: the cache key in the default file name. */
export function pretrainKey(c: PretrainConfig): string {
  return createHash('sha256').update(JSON.stringify([PRETRAIN_FORMAT, c])).digest('hex').slice(0, 12);
}

export function defaultPretrainFile(c: PretrainConfig, dir = 'data/pretrained'): string {
  return join(dir, `${c.preset}-${pretrainKey(c)}.safetensors`);
}

export function pretrainSourceRoot(c: PretrainConfig, dir = 'data'): string {
  const s = c.source;
  return join(dir, `pretrain-source-${s.seed}-${s.train}x${s.val}@${s.height}x${s.width}`);
}

/** The pretraining recorded in a file's metadata, or null when the file is not one of ours. */
export async function readPretrainInfo(file: string): Promise<Omit<PretrainResult, 'reused'> | null> {
  const m = (await readSafetensors(file)).metadata;
  if (m.format !== PRETRAIN_FORMAT) return null;
  return { file, config: JSON.parse(m.config) as PretrainConfig, valMap: Number(m.val_map), valMapUntrained: Number(m.val_map_untrained), seconds: Number(m.seconds) };
}

export interface PretrainEvents {
  onPhase?: (text: string) => void;
  onIteration?: (it: number, iterations: number, loss: number | null, msPerIteration: number) => void;
}

/**
 * Pretrains (or reuses) the backbone for `c` and returns where it is. A file that exists with other
 * settings is an error, never overwritten.
 */
export async function pretrain(c: PretrainConfig, file = defaultPretrainFile(c), events: PretrainEvents = {}): Promise<PretrainResult> {
  if (c.source.seed === DEFAULT_SYNTHETIC.seed) throw new Error(`pretrain: source seed ${c.source.seed} is the active-learning sets' seed; choose another so the source stays disjoint from them`);
  if (existsSync(file)) {
    const info = await readPretrainInfo(file);
    if (info && JSON.stringify(info.config) === JSON.stringify(c)) return { ...info, reused: true };
    throw new Error(`${file} already holds ${info ? 'weights pretrained with other settings' : 'something that is not an alseg pretraining'}; choose another --out or delete it`);
  }
  const t0 = performance.now();
  const root = pretrainSourceRoot(c);
  events.onPhase?.(`source set: ${c.source.train} train + ${c.source.val} val synthetic scenes (seed ${c.source.seed}) at ${c.source.height}x${c.source.width} in ${root}`);
  ensureSyntheticDataset(root, { seed: c.source.seed, splits: { train: c.source.train, val: c.source.val }, height: c.source.height, width: c.source.width });
  const train = openDataset('synthetic', root, 'train');
  const val = openDataset('synthetic', root, 'val');
  const C = train.numClasses;
  const model = createModel(c.preset, { numClasses: C, seed: c.seed });
  const backbone = model.backbone;
  const gen = new Generator(hashSeed(c.seed, 0x9e7));
  const weight = noGrad(() => gen.normal([backbone.highChannels, C], 0, Math.sqrt(1 / backbone.highChannels)));
  const bias = zeros([C]);
  weight.requiresGrad = true;
  bias.requiresGrad = true;
  const logits = (x: Tensor) => {
    const { high } = backbone.forward(x);
    return add(matmul(reshape(globalAvgPool(high), [x.shape[0], backbone.highChannels]), weight), bias);
  };
  try {
    events.onPhase?.('validation before training');
    const valMapUntrained = await validate(val, C, c.minShare, logits, backbone);
    const optimizer = new AdamW([
      { name: 'backbone', params: backbone.parameters(), lr: c.lr, weightDecay: c.weightDecay },
      { name: 'classifier', params: [weight, bias], lr: 10 * c.lr, weightDecay: c.weightDecay },
    ]);
    const loader = new BatchLoader(
      { dataset: { kind: 'synthetic', root, split: 'train' }, superpixels: null, augment: { ...DEFAULT_AUGMENT, cropHeight: c.crop, cropWidth: c.crop, padColor: train.meanColor } },
      epochPlan(train.samples.length, c.batch, hashSeed(c.seed, 0x9e8), c.iterations),
      { seed: hashSeed(c.seed, 0x9e9) },
    );
    const tTrain = performance.now();
    try {
      backbone.train();
      for (let it = 0; it < c.iterations; it++) {
        const b = await loader.next();
        if (!b) throw new Error(`pretrain: the data loader ran dry at iteration ${it}`);
        const target = cropTargets(b.labels, b.n, b.height * b.width, C, c.minShare);
        const batchLoss = () => {
          const z = logits(Tensor.fromArray(b.images, [b.n, b.height, b.width, 3]));
          // Cross-entropy against the normalised multi-hot target, averaged over the batch.
          return affine(neg(sum(mul(logSoftmax(z, 1), Tensor.fromArray(target, [b.n, C])))), 1 / b.n, 0);
        };
        const loss = trainStep(backbone, optimizer, b.n, batchLoss, { lrFactor: polyLr(1, it, c.iterations, 0.9, 1e-6 / c.lr) });
        const shown = (it + 1) % 10 === 0 || it + 1 === c.iterations ? await item(loss) : null;
        loss.dispose();
        events.onIteration?.(it + 1, c.iterations, shown, (performance.now() - tTrain) / (it + 1));
      }
    } finally {
      await loader.close();
      optimizer.dispose();
    }
    events.onPhase?.('validation');
    const valMap = await validate(val, C, c.minShare, logits, backbone);
    const seconds = (performance.now() - t0) / 1000;
    await saveBackbone(file, backbone, {
      format: PRETRAIN_FORMAT,
      config: JSON.stringify(c),
      val_map: String(valMap),
      val_map_untrained: String(valMapUntrained),
      seconds: String(seconds),
      task: 'multi-label classes present per crop, global-average-pooled layer4 features, linear classifier; image-level labels only',
    });
    return { file, config: c, valMap, valMapUntrained, seconds, reused: false };
  } finally {
    weight.dispose();
    bias.dispose();
    model.dispose();
  }
}

/**
 * Per crop, the normalised multi-hot target: classes covering at least `minShare` of the crop's
 * labelled pixels, each 1 / (their count); a crop with no labelled pixel gets a zero row.
 */
export function cropTargets(labels: Uint8Array, n: number, pixels: number, classes: number, minShare: number): Float32Array {
  const out = new Float32Array(n * classes);
  const counts = new Float64Array(classes);
  for (let k = 0; k < n; k++) {
    counts.fill(0);
    let total = 0;
    for (let i = k * pixels; i < (k + 1) * pixels; i++) {
      const l = labels[i];
      if (l === IGNORE_LABEL || l >= classes) continue;
      counts[l]++;
      total++;
    }
    const present = [...counts.keys()].filter((c) => total > 0 && counts[c] >= minShare * total);
    for (const c of present) out[k * classes + c] = 1 / present.length;
  }
  return out;
}

/** Side of the validation tiles: whole synthetic images hold almost every class, 64 px tiles do not. */
export const VAL_TILE = 64;

/**
 * Mean average precision of the classes-present task over the non-overlapping VAL_TILE x VAL_TILE
 * tiles of the validation images (eval mode). Whole images are a poor test: on the synthetic
 * scenes most classes are in every image or in none.
 */
async function validate(val: ReturnType<typeof openDataset>, C: number, minShare: number, logits: (x: Tensor) => Tensor, backbone: ResNet): Promise<number> {
  const scores: number[][] = [];
  const targets: boolean[][] = [];
  const T = VAL_TILE;
  backbone.eval();
  try {
    for (const sample of val.samples) {
      const s = val.load(sample);
      for (let ty = 0; ty + T <= s.height; ty += T) {
        for (let tx = 0; tx + T <= s.width; tx += T) {
          const image = new Uint8Array(T * T * 3);
          const label = new Uint8Array(T * T);
          for (let y = 0; y < T; y++) {
            const row = (ty + y) * s.width + tx;
            image.set(s.image.subarray(3 * row, 3 * (row + T)), 3 * y * T);
            label.set(s.label.subarray(row, row + T), y * T);
          }
          const p = await tidy(async () => readF32(noGrad(() => softmax(logits(imageTensor({ image, width: T, height: T })), 1))));
          scores.push(Array.from(p));
          targets.push(Array.from(cropTargets(label, 1, T * T, C, minShare), (v) => v > 0));
        }
      }
    }
  } finally {
    backbone.train();
  }
  return meanAveragePrecision(scores, targets);
}

async function saveBackbone(file: string, backbone: ResNet, metadata: Record<string, string>): Promise<void> {
  const tensors = new Map<string, TensorData>();
  for (const [name, t] of backbone.namedState()) {
    const data = await readF32(t);
    tensors.set(name, t.shape.length === 4 ? hwioToOihw(data, t.shape) : { data, shape: [...t.shape] });
  }
  mkdirSync(dirname(file), { recursive: true });
  await writeSafetensors(file, tensors, metadata);
}
