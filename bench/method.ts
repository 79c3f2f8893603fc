// The training step the method itself runs (src/model/train-step.ts trainStep with
// src/al/step.ts regionStepLoss: forward, logits resized to the crop, the fused region loss,
// backward, per micro-batch, then AdamW), for stage 1
// (region tables: multi-class labels on superpixel-sized regions) and stage 2 (the pixel-label
// path), at the default `train` settings (tiny, 96x96 crops, batch 4) and stage 1 at r50 256x256
// batch 2 (skipped with --quick). Each setup also gets a replay of one recorded step by kernel family
// (as bench/model.ts), with the share of the identity/fill copy kernels summed in one row.
import { fitMicroBatch, regionStepLoss, type StepBatch } from '../src/al/step.js';
import { trainStep } from '../src/model/train-step.js';
import { buildRegionBatch, pixelLabelBatch, type RegionBatch } from '../src/al/region-batch.js';
import { DEFAULT_CONFIG } from '../src/al/config.js';
import { readingLossOptions } from '../src/al/losses.js';
import { AdamW } from '../src/engine/optim.js';
import { engine, sync } from '../src/engine/runtime.js';
import { createModel, type PresetName } from '../src/model/presets.js';
import { randomNd } from '../src/kernels/cpu/nd.js';
import { timeCases, type BenchContext, type BenchRow } from './harness.js';
import { recordStep, replayRows, type Recorded } from './model.js';

export interface Setup {
  preset: PresetName;
  crop: number;
  batch: number;
  stage: 'stage1' | 'stage2';
}

/** Output classes of the default synthetic dataset (19 + the undefined class). */
const CLASSES = 20;
const REGION = 12;

/**
 * Stage-1 tables: REGION x REGION blocks stand in for superpixels; ~70% are labelled, a third of
 * those with 2-3 classes (as a multi-class query answers).
 */
function stage1Tables(n: number, size: number): RegionBatch {
  const per = Math.ceil(size / REGION);
  const keys = new Int32Array(n * size * size);
  for (let b = 0; b < n; b++) for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) keys[(b * size + y) * size + x] = b * 65536 + Math.floor(y / REGION) * per + Math.floor(x / REGION);
  const u = randomNd([65536], 7, 0, 1).data;
  const labelOf = (key: number): number | undefined => {
    const v = u[((key & 0xffff) * 31 + (key >>> 16) * 977) % 65536];
    if (v < 0.3) return undefined;
    let m = 1 << Math.floor(v * 1000) % CLASSES;
    if (v > 0.75) m |= 1 << Math.floor(v * 7919) % CLASSES;
    if (v > 0.9) m |= 1 << Math.floor(v * 104729) % CLASSES;
    return m >>> 0;
  };
  return buildRegionBatch(keys, labelOf, CLASSES, { weights: DEFAULT_CONFIG.weights, reading: DEFAULT_CONFIG.reading });
}

/** Stage-2 tables: pseudo-labels on ~60% of the pixels (the rest 255, ignored). */
function stage2Tables(n: number, size: number): RegionBatch {
  const labels = new Uint8Array(n * size * size);
  for (let i = 0; i < labels.length; i++) labels[i] = (i * 7919) % 10 < 6 ? Math.floor(i / 97) % CLASSES : 255;
  return pixelLabelBatch(labels, CLASSES);
}

/** One setup's step, ready to run (`mark` labels the phases for a recording); dispose when done. */
export function methodStep(s: Setup): { tag: string; micro: number; step: (mark?: (p: Recorded['phase']) => void) => void; dispose: () => Promise<void> } {
  const model = createModel(s.preset, { numClasses: CLASSES - 1, undefinedClass: true, seed: 1 });
  const optimizer = new AdamW(model.paramGroups(DEFAULT_CONFIG.lr, { weightDecay: DEFAULT_CONFIG.weightDecay }));
  const micro = fitMicroBatch(model, s.batch, s.crop, Math.min(2, s.batch));
  model.train();
  const batch: StepBatch = { n: s.batch, height: s.crop, width: s.crop, images: Float32Array.from(randomNd([s.batch * s.crop * s.crop * 3], 3, -2, 2).data) };
  const tables = s.stage === 'stage1' ? stage1Tables(s.batch, s.crop) : stage2Tables(s.batch, s.crop);
  const tag = `${s.preset} ${s.crop}x${s.crop} b${s.batch} ${s.stage}`;
  const loss = regionStepLoss(model, batch, tables, readingLossOptions(DEFAULT_CONFIG.reading, DEFAULT_CONFIG.tau));
  const step = (mark?: (p: Recorded['phase']) => void) => trainStep(model, optimizer, batch.n, loss, { microBatch: micro, mark }).dispose();
  const dispose = async () => {
    optimizer.dispose();
    model.dispose();
    await sync();
    engine().pool.trim();
  };
  return { tag, micro, step, dispose };
}

async function suiteFor(s: Setup, ctx: BenchContext): Promise<BenchRow[]> {
  const { tag, micro, step, dispose } = methodStep(s);
  const rows = await timeCases('method', [{ name: `${tag} step`, run: () => step(), extra: { micro } }], ctx, { maxTime: ctx.quick ? 1 : 4, minSamples: 3 });

  // Where the step's GPU time goes: each kernel family of one recorded step replayed alone.
  const full = await recordStep((mark) => step(mark));
  rows.push(...(await replayRows('method', tag, full, ctx.quick || s.preset !== 'tiny' ? 1 : 2, rows[0].ms, 12)));
  await dispose();
  return rows;
}

export async function methodSuite(ctx: BenchContext): Promise<BenchRow[]> {
  const setups: Setup[] = [
    { preset: 'tiny', crop: DEFAULT_CONFIG.crop, batch: DEFAULT_CONFIG.batch, stage: 'stage1' },
    { preset: 'tiny', crop: DEFAULT_CONFIG.crop, batch: DEFAULT_CONFIG.batch, stage: 'stage2' },
  ];
  // r50: stage 1 only (stage 2 runs the same network; its loss kernels are timed at tiny).
  if (!ctx.quick) setups.push({ preset: 'r50', crop: 256, batch: 2, stage: 'stage1' });
  const rows: BenchRow[] = [];
  for (const s of setups) rows.push(...(await suiteFor(s, ctx)));
  return rows;
}
