// Alternating timing for kernel-variant comparisons (conv-variants.ts, depthwise-variants.ts): each
// round runs every variant once, rotating the order so none always runs first, so a loaded machine
// slows all variants alike. Returns each variant's median wall time and median process CPU time
// (user + system, all threads: lavapipe computes in this process's own worker threads, which other
// processes competing for the cores inflate much less than wall time), in milliseconds.
import { sync } from '../src/engine/runtime.js';

const median = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];

export async function alternate(variants: number, reps: number, run: (i: number) => void): Promise<{ wall: number[]; cpu: number[] }> {
  const wall: number[][] = Array.from({ length: variants }, () => []);
  const cpu: number[][] = Array.from({ length: variants }, () => []);
  for (let r = 0; r < reps; r++) {
    for (let s = 0; s < variants; s++) {
      const i = (r + s) % variants;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      run(i);
      await sync();
      wall[i].push(performance.now() - t0);
      const dc = process.cpuUsage(c0);
      cpu[i].push((dc.user + dc.system) / 1000);
    }
  }
  return { wall: wall.map(median), cpu: cpu.map(median) };
}
