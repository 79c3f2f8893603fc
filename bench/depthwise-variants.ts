// Depthwise kernel comparison (not part of `npm run bench`): the forward and stride-1 input gradient
// of depthwise.wgsl.ts (taps) against depthwise-walk.wgsl.ts (walk, at each column count of WC) on
// one layer, launched
// directly and alternately in one process (bench/alternate.ts). Prints each pass's median wall
// time, GFLOP/s and ratio, the same for process CPU time, and whether the outputs are bit-identical.
// node dist-bench/bench/depthwise-variants.js   SHAPE=4,32,32,256 D=6 REPS=7 WC=8 PARTS=fwd,dgrad
import { destroyEngine, initEngine, sync } from '../src/engine/runtime.js';
import { run } from '../src/engine/ops/run.js';
import { Generator } from '../src/engine/random.js';
import { Tensor } from '../src/engine/tensor.js';
import { read } from '../src/engine/io.js';
import { depthwiseLaunch, type DepthwiseGeometry } from '../src/kernels/depthwise.wgsl.js';
import { WALK_COLUMNS, depthwiseWalkLaunch } from '../src/kernels/depthwise-walk.wgsl.js';
import type { Launch } from '../src/kernels/kernel.js';
import { alternate } from './alternate.js';

const [n, h, w, c] = (process.env.SHAPE ?? '4,32,32,256').split(',').map(Number);
const d = Number(process.env.D ?? 6);
const REPS = Number(process.env.REPS ?? 7);
const WC = (process.env.WC ?? String(WALK_COLUMNS)).split(',').map(Number);
const k = 3;
const pad = d;
await initEngine();
const gen = new Generator(1);
const x = gen.normal([n, h, w, c]).keep();
const wt = gen.normal([k, k, 1, c], 0, 0.05).keep();
const gy = gen.normal([n, h, w, c]).keep();
const flops = 2 * n * h * w * c * k * k;
const fwd: DepthwiseGeometry = { batch: n, srcH: h, srcW: w, dstH: h, dstW: w, kh: k, kw: k, channels: c, y: { mul: 1, add: -pad, tap: d, div: 1 }, x: { mul: 1, add: -pad, tap: d, div: 1 } };
const bwd: DepthwiseGeometry = { ...fwd, y: { mul: 1, add: pad, tap: -d, div: 1 }, x: { mul: 1, add: pad, tap: -d, div: 1 } };

interface Pass {
  name: string;
  variants: [string, Launch][];
  inputs: Record<string, Tensor>;
  outShape: number[];
}
const passes: Pass[] = [
  { name: 'fwd', variants: [['taps', depthwiseLaunch(fwd, false)], ...WC.map((wc) => [`walk${wc}`, depthwiseWalkLaunch(fwd, false, wc)] as [string, Launch])], inputs: { src: x, wt }, outShape: [n, h, w, c] },
  { name: 'dgrad', variants: [['taps', depthwiseLaunch(bwd, false)], ...WC.map((wc) => [`walk${wc}`, depthwiseWalkLaunch(bwd, false, wc)] as [string, Launch])], inputs: { src: gy, wt }, outShape: [n, h, w, c] },
];
const only = process.env.PARTS?.split(',');
for (const pass of passes) {
  if (only && !only.includes(pass.name)) continue;
  const outs = pass.variants.map(() => Tensor.empty(pass.outShape).keep());
  const once = (i: number) => run(pass.variants[i][1], { ...pass.inputs, out: outs[i] });
  for (let i = 0; i < outs.length; i++) once(i);
  await sync();
  const vals = await Promise.all(outs.map((o) => read(o)));
  const same = vals.every((v) => v.every((q, j) => Object.is(q, vals[0][j])));
  let maxDiff = 0;
  for (const v of vals) for (let j = 0; j < v.length; j++) maxDiff = Math.max(maxDiff, Math.abs(v[j] - vals[0][j]));
  const { wall: med, cpu: cmed } = await alternate(outs.length, REPS, once);
  const cells = pass.variants.map(
    ([name], i) =>
      `${name} ${med[i].toFixed(2)}ms ${(flops / (med[i] * 1e6)).toFixed(2)} GFLOP/s x${(med[0] / med[i]).toFixed(2)} cpu ${cmed[i].toFixed(1)}ms x${(cmed[0] / cmed[i]).toFixed(2)}`,
  );
  console.log(`[${n},${h},${w},${c}] d${d} ${pass.name}: ${cells.join(' | ')} | bit-identical ${same} (max diff ${maxDiff})`);
  for (const o of outs) o.dispose();
}
await destroyEngine();
