// Finds the adapter's peak multiply-add throughput (GFLOP/s): a sweep over independent chains per
// invocation and workgroup sizes of the straight-line probe (src/kernels/peak.wgsl.ts), each
// configuration's output checked against its float32 CPU value; the fastest one is the peak.
import { read } from '../src/engine/io.js';
import { run } from '../src/engine/ops/run.js';
import { engine, sync } from '../src/engine/runtime.js';
import { Tensor } from '../src/engine/tensor.js';
import { peakExpected, peakFlops, peakLaunch, type PeakConfig } from '../src/kernels/peak.wgsl.js';

export interface PeakResult {
  gflops: number;
  ms: number;
  /** Invocations whose output was checked, over all configurations. */
  checked: number;
  /** The configuration that won. */
  best: PeakConfig;
  /** Every configuration's figure, in sweep order. */
  sweep: { config: PeakConfig; gflops: number; ms: number }[];
}

const CHAINS = [8, 16, 24, 32];
const WORKGROUPS = [64, 128, 256];

async function measure(c: PeakConfig, quick: boolean): Promise<{ gflops: number; ms: number; checked: number }> {
  const a = 0.999;
  const b = 0.001;
  const maxN = Math.floor(engine().limits.maxStorageBufferBindingSize / 4);
  let n = 16384;
  let out = Tensor.empty([n]);
  const once = async () => {
    const t0 = performance.now();
    run(peakLaunch(c, n, a, b), { out });
    await sync();
    return performance.now() - t0;
  };
  await once(); // compiles the pipeline
  // Grow the work until one run takes long enough to time well.
  while ((await once()) < (quick ? 40 : 120) && n * 2 <= Math.min(maxN, 1 << 24)) {
    out.dispose();
    n *= 2;
    out = Tensor.empty([n]);
  }
  // The fastest of 5: a peak is what the adapter can do, and on a shared machine the other runs
  // measure the neighbours.
  let ms = Infinity;
  for (let r = 0; r < 5; r++) ms = Math.min(ms, await once());
  const values = await read(out);
  let checked = 0;
  for (const i of [0, 1, 7, 1023, 1024, n - 1]) {
    const want = peakExpected(c, i, a, b);
    if (Math.abs(values[i] - want) > 1e-4 * Math.abs(want)) {
      throw new Error(`peak probe (${c.chains} ${c.width === 4 ? 'vec4' : 'f32'} chains, workgroup ${c.wg}) computed a wrong value at ${i}: ${values[i]} vs ${want}; its figure cannot be trusted`);
    }
    checked++;
  }
  out.dispose();
  return { gflops: peakFlops(c, n) / (ms * 1e6), ms, checked };
}

export async function measurePeak(quick: boolean): Promise<PeakResult> {
  const maxWg = engine().limits.maxComputeInvocationsPerWorkgroup;
  const sweep: PeakResult['sweep'] = [];
  let best: { config: PeakConfig; gflops: number; ms: number } | null = null;
  let checked = 0;
  for (const width of [1, 4] as const) {
  for (const chains of quick ? [16, 24, 32] : CHAINS) {
    for (const wg of (quick ? [64, 128] : WORKGROUPS).filter((w) => w <= maxWg)) {
      const config = { width, chains, wg };
      const m = await measure(config, quick);
      checked += m.checked;
      sweep.push({ config, gflops: m.gflops, ms: m.ms });
      if (!best || m.gflops > best.gflops) best = { config, gflops: m.gflops, ms: m.ms };
    }
  }
  }
  return { gflops: best!.gflops, ms: best!.ms, checked, best: best!.config, sweep };
}
