// The method's training step (bench/method.ts) timed by process CPU as well as wall, for comparing
// adapters that cannot share a process (two lavapipes: scripts/trixie-lavapipe.sh) on a loaded
// machine: lavapipe computes in this process's own worker threads, so the CPU time a step takes is
// the work it does, which other processes competing for the cores inflate much less than its wall
// time. Run each configuration in turn, alternating, and compare the medians (not part of `npm run bench`).
// node dist-bench/bench/step-cpu.js   PRESET=tiny CROP=96 BATCH=4 STAGE=stage1 STEPS=15
// Prints one line per setting and, last, one JSON line with every step's figures.
import { destroyEngine, initEngine, sync } from '../src/engine/runtime.js';
import { methodStep, type Setup } from './method.js';

const setup: Setup = {
  preset: (process.env.PRESET ?? 'tiny') as Setup['preset'],
  crop: Number(process.env.CROP ?? 96),
  batch: Number(process.env.BATCH ?? 4),
  stage: (process.env.STAGE ?? 'stage1') as Setup['stage'],
};
const STEPS = Number(process.env.STEPS ?? 15);
const median = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)]!;

const e = await initEngine();
const { tag, step, dispose } = methodStep(setup);
step(); // warm: pipelines compiled, buffers pooled
await sync();
const wall: number[] = [];
const cpu: number[] = [];
for (let i = 0; i < STEPS; i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  step();
  await sync();
  wall.push(performance.now() - t0);
  const dc = process.cpuUsage(c0);
  cpu.push((dc.user + dc.system) / 1000);
}
await dispose();
const toggles = e.dawnFeatures.join(',') || '(none)';
console.log(`adapter ${e.summary.description}; dawn toggles ${toggles}; LP_NUM_THREADS=${process.env.LP_NUM_THREADS ?? '(default)'}`);
console.log(`${tag} step, median of ${STEPS}: wall ${median(wall).toFixed(1)} ms, process CPU ${median(cpu).toFixed(1)} ms`);
console.log(JSON.stringify({ adapter: e.summary.description, dawnFeatures: e.dawnFeatures, tag, wall, cpu }));
await destroyEngine();
