// Bilinear resize kernel comparison (not part of `npm run bench`): the two forms of
// src/kernels/resize.wgsl.ts, one invocation per (pixel, channel vector) (lanes, the form before)
// and one per pixel (pixels), launched directly and alternately in one process (bench/alternate.ts). Prints each pass's median wall and process
// CPU time per launch, the ratios, and whether the outputs are bit-identical.
// node dist-bench/bench/resize-variants.js   SHAPES=4,24,24,20,96,96;2,64,64,256,256,256 REPS=21
import { destroyEngine, initEngine, sync } from '../src/engine/runtime.js';
import { run } from '../src/engine/ops/run.js';
import { Generator } from '../src/engine/random.js';
import { Tensor } from '../src/engine/tensor.js';
import { read } from '../src/engine/io.js';
import { resizeBackwardLanesLaunch, resizeBackwardPixelsLaunch, resizeLanesLaunch, resizePixelsLaunch, type ResizeGeometry } from '../src/kernels/resize.wgsl.js';
import type { Launch } from '../src/kernels/kernel.js';
import { alternate } from './alternate.js';

const SHAPES = (process.env.SHAPES ?? '4,24,24,20,96,96;2,64,64,256,256,256').split(';').map((s) => s.split(',').map(Number));
const REPS = Number(process.env.REPS ?? 21);
await initEngine();
const gen = new Generator(1);
for (const [n, h, w, c, ho, wo] of SHAPES) {
  const g: ResizeGeometry = { n, h, w, c, ho, wo, alignCorners: false };
  const x = gen.normal([n, h, w, c]).keep();
  const gy = gen.normal([n, ho, wo, c]).keep();
  const passes: { name: string; variants: [string, Launch][]; inputs: Record<string, Tensor>; out: string; shape: number[] }[] = [
    { name: 'forward', variants: [['lanes', resizeLanesLaunch(g)], ['pixels', resizePixelsLaunch(g)]], inputs: { x }, out: 'out', shape: [n, ho, wo, c] },
    { name: 'backward', variants: [['lanes', resizeBackwardLanesLaunch(g)], ['pixels', resizeBackwardPixelsLaunch(g)]], inputs: { gy }, out: 'dx', shape: [n, h, w, c] },
  ];
  for (const pass of passes) {
    const outs = pass.variants.map(() => Tensor.empty(pass.shape).keep());
    const once = (i: number) => run(pass.variants[i][1], { ...pass.inputs, [pass.out]: outs[i] });
    for (let i = 0; i < outs.length; i++) once(i);
    await sync();
    const vals = await Promise.all(outs.map((o) => read(o)));
    const same = vals.every((v) => v.every((q, j) => Object.is(q, vals[0][j])));
    const { wall, cpu } = await alternate(outs.length, REPS, once);
    const cells = pass.variants.map(([name], i) => `${name} ${wall[i].toFixed(2)}ms x${(wall[0] / wall[i]).toFixed(2)} cpu ${cpu[i].toFixed(1)}ms x${(cpu[0] / cpu[i]).toFixed(2)}`);
    console.log(`[${n},${h},${w},${c}] -> ${ho}x${wo} ${pass.name}: ${cells.join(' | ')} | bit-identical ${same}`);
    for (const o of outs) o.dispose();
  }
  x.dispose();
  gy.dispose();
}
await destroyEngine();
