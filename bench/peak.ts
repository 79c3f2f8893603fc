// Measures the adapter's peak multiply-add throughput (GFLOP/s) and checks the probe's output.
import { read } from '../src/engine/io.js';
import { run } from '../src/engine/ops/run.js';
import { sync } from '../src/engine/runtime.js';
import { Tensor } from '../src/engine/tensor.js';
import { peakExpected, peakFlops, peakLaunch } from '../src/kernels/peak.wgsl.js';

export async function measurePeak(quick: boolean): Promise<{ gflops: number; ms: number; checked: number }> {
  const n = quick ? 16384 : 65536;
  const a = 0.999;
  const b = 0.001;
  let iters = 64;
  const out = Tensor.empty([n]);
  const once = async () => {
    const t0 = performance.now();
    run(peakLaunch(n, iters, a, b), [out]);
    await sync();
    return performance.now() - t0;
  };
  await once();
  // Grow the work until one run takes long enough to time well.
  while ((await once()) < (quick ? 150 : 400) && iters < 1 << 20) iters *= 2;
  const times: number[] = [];
  for (let r = 0; r < 3; r++) times.push(await once());
  times.sort((x, y) => x - y);
  const ms = times[1];
  const values = await read(out);
  let checked = 0;
  for (const i of [0, 1, 7, 1023, 1024, n - 1]) {
    const want = peakExpected(i, iters, a, b);
    if (Math.abs(values[i] - want) > 1e-3 * Math.abs(want) + 1e-3) {
      throw new Error(`peak probe computed a wrong value at ${i}: ${values[i]} vs ${want}; its figure cannot be trusted`);
    }
    checked++;
  }
  out.dispose();
  return { gflops: peakFlops(n, iters) / (ms * 1e6), ms, checked };
}
