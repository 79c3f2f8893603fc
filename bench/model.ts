// Model benchmarks (issue 4): one training step (forward + backward + AdamW) of DeepLabv3+ and its
// peak GPU memory, for `tiny` at 128x128 batch 4 and `r50` at 256x256 batch 2 (skipped with
// --quick); forward-only rows (train-mode forward of the step's loss, and eval inference); and a
// breakdown of one step's GPU time by kernel family: the step's dispatches are recorded (launch +
// buffers), then each family's dispatches are replayed alone and timed, so the rows say where
// the GPU time goes (conv forward / input grad / weight grad, depthwise, BN, elementwise, ...).
// Replayed kernels read whatever the step's (pooled) buffers hold by then, so the figures are
// approximate; the optimiser family, which writes the parameters, is replayed last.
import type { Launch } from '../src/kernels/kernel.js';
import { memory } from '../src/engine/io.js';
import { AdamW } from '../src/engine/optim.js';
import { Generator } from '../src/engine/random.js';
import { engine, sync } from '../src/engine/runtime.js';
import { Tensor, tidy } from '../src/engine/tensor.js';
import { createModel, type PresetName } from '../src/model/presets.js';
import { batchLoss, measurePeakBytes, segmentationLoss, trainStep, type StepPhase } from '../src/model/train-step.js';
import { timeCases, type BenchCase, type BenchContext, type BenchRow } from './harness.js';

interface Setup {
  preset: PresetName;
  size: number;
  batch: number;
}

const CLASSES = 20;

export interface Recorded {
  launch: Launch;
  buffers: readonly GPUBuffer[];
  phase: StepPhase;
}

/** Family of a dispatch: the kernel name's first part, with the step phase for convolutions. */
function familyOf(r: Recorded): string {
  const name = r.launch.spec.name;
  if (r.phase === 'optimizer') return 'optimizer';
  if (name.startsWith('conv_igemm')) return r.phase === 'forward' ? 'conv fwd' : 'conv input-grad';
  if (name.startsWith('conv_wgrad') || name.startsWith('conv2d_wgrad') || name.includes('wgrad')) return 'conv weight-grad';
  if (name.startsWith('depthwise') || name.startsWith('dw')) return `depthwise ${r.phase === 'forward' ? 'fwd' : 'bwd'}`;
  if (name.startsWith('bn')) return `batch norm ${r.phase === 'forward' ? 'fwd' : 'bwd'}`;
  const head = name.split(/[_:-]/)[0];
  // Elementwise maps are many ops under one kernel family: name them by their op.
  const what = head === 'map' ? name : head;
  return `${what} ${r.phase === 'forward' ? 'fwd' : 'bwd'}`;
}

export async function recordStep(run: (mark: (p: Recorded['phase']) => void) => void): Promise<Recorded[]> {
  const q = engine().queue;
  const original = q.dispatch;
  const out: Recorded[] = [];
  let phase: Recorded['phase'] = 'forward';
  q.dispatch = function (launch: Launch, buffers: readonly GPUBuffer[]): void {
    out.push({ launch, buffers: [...buffers], phase });
    original.call(q, launch, buffers);
  };
  try {
    run((p) => (phase = p));
    await sync();
  } finally {
    q.dispatch = original;
  }
  return out;
}

export async function timeReplay(rs: readonly Recorded[], reps: number): Promise<number> {
  const q = engine().queue;
  for (const r of rs) q.dispatch(r.launch, r.buffers); // warm
  await sync();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) for (const r of rs) q.dispatch(r.launch, r.buffers);
  await sync();
  return (performance.now() - t0) / reps;
}

/**
 * Rows of a per-family replay of one recorded step: the sum over families (and its ratio to the
 * timed step), the copy kernels (identity and fill maps) together, then each family, largest
 * first (at most `top`).
 */
export async function replayRows(suite: string, tag: string, full: readonly Recorded[], reps: number, stepMs: number, top = Infinity): Promise<BenchRow[]> {
  const families = new Map<string, Recorded[]>();
  for (const r of full) {
    const f = familyOf(r);
    families.set(f, [...(families.get(f) ?? []), r]);
  }
  // The optimiser's replay writes garbage into the parameters: time it last.
  const order = [...families.keys()].sort((a, b) => Number(a === 'optimizer') - Number(b === 'optimizer'));
  const timed: [string, number, number][] = [];
  for (const f of order) timed.push([f, await timeReplay(families.get(f)!, reps), families.get(f)!.length]);
  const total = timed.reduce((s, [, ms]) => s + ms, 0);
  const copies = timed.filter(([f]) => /^map_(identity|fill)_/.test(f));
  const copyMs = copies.reduce((a, [, ms]) => a + ms, 0);
  const rows: BenchRow[] = [
    { suite, name: `${tag} replay: sum of families`, ms: total, extra: { dispatches: full.length, ofStep: +(total / stepMs).toFixed(3) } },
    { suite, name: `${tag} replay: copies (identity, fill)`, ms: copyMs, extra: { dispatches: copies.reduce((a, [, , n]) => a + n, 0), ofReplay: +(copyMs / total).toFixed(3) } },
  ];
  timed.sort((a, b) => b[1] - a[1]);
  for (const [f, ms, n] of timed.slice(0, top)) rows.push({ suite, name: `${tag} replay: ${f}`, ms, extra: { dispatches: n, ofReplay: +(ms / total).toFixed(3) } });
  return rows;
}

async function suiteFor(s: Setup, ctx: BenchContext): Promise<BenchRow[]> {
  const model = createModel(s.preset, { numClasses: CLASSES - 1, undefinedClass: true, seed: 1 });
  const gen = new Generator(2);
  const images = gen.normal([s.batch, s.size, s.size, 3]).keep();
  const labelData = Int32Array.from({ length: s.batch * s.size * s.size }, (_, i) => (i * 7919) % (CLASSES + 3) < CLASSES ? (i * 7919) % CLASSES : 255);
  const labels = Tensor.fromArray(labelData, [s.batch, s.size, s.size], 'i32').keep();
  const opt = new AdamW(model.paramGroups(1e-3));
  const loss = batchLoss(model, images, segmentationLoss(labels));
  const tag = `${s.preset} ${s.size}x${s.size} b${s.batch}`;
  const step = () => void trainStep(model, opt, s.batch, loss).dispose();

  // Peak memory of one step (after a first step created the optimiser state and the pipelines).
  step();
  await sync();
  const before = memory();
  const { peakBytes, baseBytes } = await measurePeakBytes(step);
  const dispatches0 = engine().queue.stats.dispatches;
  step();
  await sync();
  const dispatches = engine().queue.stats.dispatches - dispatches0;
  const mib = (b: number) => +(b / 2 ** 20).toFixed(1);
  const cases: BenchCase[] = [
    {
      name: `${tag} train step`,
      run: step,
      extra: {
        peakMiB: mib(peakBytes),
        stepMiB: mib(peakBytes - baseBytes),
        paramsM: +(model.parameterCount() / 1e6).toFixed(2),
        dispatches,
        buffersCreated: before.buffersCreated,
      },
    },
    { name: `${tag} forward+loss (train mode)`, run: () => tidy(() => void loss(0, s.batch)) },
    { name: `${tag} eval forward (logits+features)`, run: () => tidy(() => void model.predict(images)) },
  ];
  const rows = await timeCases('model', cases, ctx, { maxTime: ctx.quick ? 1 : 3, minSamples: 3 });

  // Per-family replay of one recorded step (forward, backward and optimiser phases marked).
  const full = await recordStep((mark) => trainStep(model, opt, s.batch, loss, { mark }).dispose());
  rows.push(...(await replayRows('model', tag, full, ctx.quick ? 1 : 2, rows[0].ms)));

  opt.dispose();
  model.dispose();
  images.dispose();
  labels.dispose();
  await sync();
  engine().pool.trim();
  return rows;
}

export async function modelSuite(ctx: BenchContext): Promise<BenchRow[]> {
  const setups: Setup[] = [{ preset: 'tiny', size: 128, batch: 4 }];
  if (!ctx.quick) setups.push({ preset: 'r50', size: 256, batch: 2 });
  const rows: BenchRow[] = [];
  for (const s of setups) rows.push(...(await suiteFor(s, ctx)));
  return rows;
}
