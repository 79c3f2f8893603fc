// Every convolution dispatch of one recorded training step, replayed alone: its kernel, its GEMM
// shape (rows m x columns n x depth k, taps included), milliseconds and GFLOP/s, slowest first,
// with each pass's total; with KERNELS=1 also the step's dispatches replayed by kernel name (each
// name's dispatches together, one wait), slowest first. Finds the layers that hold a step back (not part of `npm run bench`).
// node dist-bench/bench/conv-layers.js   PRESET=r50 CROP=256 BATCH=2 STAGE=stage1 REPS=2 TOP=30
// SG_FWD=2x16 SG_DGRAD=2x16 (subgroup tiles, rows x columns per lane) OUT=layers.json
import { writeFileSync } from 'node:fs';
import { setConvConfig, convConfig } from '../src/engine/ops/conv.js';
import { destroyEngine, initEngine } from '../src/engine/runtime.js';
import { methodStep, type Setup } from './method.js';
import { recordStep, timeReplay, type Recorded } from './model.js';

const setup: Setup = {
  preset: (process.env.PRESET ?? 'r50') as Setup['preset'],
  crop: Number(process.env.CROP ?? 256),
  batch: Number(process.env.BATCH ?? 2),
  stage: (process.env.STAGE ?? 'stage1') as Setup['stage'],
};
const REPS = Number(process.env.REPS ?? 2);
const TOP = Number(process.env.TOP ?? 30);

interface Layer {
  pass: string;
  kernel: string;
  shape: string;
  flops: number;
  ms: number;
}

const num = (v: number | readonly number[] | undefined): number => (typeof v === 'number' ? v : NaN);

/** GEMM shape and multiply-adds of a convolution launch, from its uniform values. */
function describe(r: Recorded): Omit<Layer, 'ms'> | undefined {
  const v = r.launch.values;
  const kernel = r.launch.spec.name;
  if (kernel.startsWith('conv_igemm')) {
    const m = num(v.m), n = num(v.ncols), k = num(v.kc) * num(v.kh) * num(v.kw);
    const pass = r.phase === 'forward' ? 'forward' : 'input grad';
    return { pass, kernel, shape: `${m} x ${n} x ${num(v.kc)}*${num(v.kh)}x${num(v.kw)}`, flops: 2 * m * n * k };
  }
  if (kernel.startsWith('conv_wgrad')) {
    const taps = num(v.tilesR) / num(v.tilesPerTap);
    const rows = num(v.nRows) * num(v.wo);
    const n = num(v.ncols), kc = num(v.kc);
    return { pass: 'weight grad', kernel, shape: `${kc}*${taps} x ${n} over ${rows} px`, flops: 2 * kc * taps * n * rows };
  }
  return undefined;
}

await initEngine();
const tileOf = (v: string | undefined, d: { tm: number; tn: number }) => (v ? { tm: Number(v.split('x')[0]), tn: Number(v.split('x')[1]) } : d);
const sg = convConfig().sg;
setConvConfig({ sg: { ...sg, fwd: tileOf(process.env.SG_FWD, sg.fwd), dgrad: tileOf(process.env.SG_DGRAD, sg.dgrad) } });
const { tag, step, dispose } = methodStep(setup);
step(); // warm: pipelines compiled, buffers pooled
const recorded = await recordStep((mark) => step(mark));
const layers: Layer[] = [];
const byKernel = new Map<string, Recorded[]>();
for (const r of recorded) {
  const d = describe(r);
  if (d) layers.push({ ...d, ms: await timeReplay([r], REPS) });
  const k = `${r.launch.spec.name} (${r.phase})`;
  byKernel.set(k, [...(byKernel.get(k) ?? []), r]);
}
const gf = (flops: number, ms: number) => (flops / ms / 1e6).toFixed(1);
console.log(`${tag}: ${layers.length} convolution dispatches of ${recorded.length}, replayed alone (${REPS} reps)`);
for (const pass of ['forward', 'input grad', 'weight grad']) {
  const ls = layers.filter((l) => l.pass === pass);
  const ms = ls.reduce((a, l) => a + l.ms, 0);
  const flops = ls.reduce((a, l) => a + l.flops, 0);
  console.log(`  ${pass.padEnd(12)} ${String(ls.length).padStart(3)} dispatches ${ms.toFixed(0).padStart(6)} ms ${gf(flops, ms).padStart(6)} GFLOP/s`);
}
console.log(`slowest ${TOP}:`);
console.log('      ms  GFLOP/s  pass         shape                              kernel');
for (const l of [...layers].sort((a, b) => b.ms - a.ms).slice(0, TOP)) {
  console.log(`${l.ms.toFixed(1).padStart(8)} ${gf(l.flops, l.ms).padStart(8)}  ${l.pass.padEnd(12)} ${l.shape.padEnd(34)} ${l.kernel}`);
}
if (process.env.KERNELS) {
  // The optimiser's replay writes garbage into the parameters: nothing runs the step after this.
  const timed: [string, number, number][] = [];
  for (const [k, rs] of byKernel) timed.push([k, await timeReplay(rs, REPS), rs.length]);
  const all = timed.reduce((a, [, ms]) => a + ms, 0);
  console.log(`the step's ${recorded.length} dispatches replayed by kernel name: ${all.toFixed(1)} ms; slowest first:`);
  for (const [k, ms, n] of timed.sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`${ms.toFixed(1).padStart(8)} ms ${String(n).padStart(4)} x ${(ms / n * 1000).toFixed(0).padStart(6)} us  ${k}`);
  }
}
if (process.env.OUT) writeFileSync(process.env.OUT, JSON.stringify(layers));
await dispose();
await destroyEngine();
