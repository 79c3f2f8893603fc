// The adapter-peak probe (kernels/peak.wgsl.ts) computes what its float32 CPU reference says in
// the configurations the bench sweeps (fewest and most chains, small and large workgroups, an odd
// invocation count), so a benchmark figure built on it is not the product of optimised-away or
// lane-merged work.
import { describe, expect, it } from 'vitest';
import { read } from '../../src/engine/io.js';
import { run } from '../../src/engine/ops/run.js';
import { Tensor } from '../../src/engine/tensor.js';
import { peakExpected, peakFlops, peakLaunch } from '../../src/kernels/peak.wgsl.js';
import { useEngine } from '../helpers.js';

useEngine();

describe('peak probe', () => {
  // The last column: the floating-point operations of 1031 invocations, worked out by hand as
  // 1031 x chains x 32 unrolled rounds x width components x 2 (a multiply and an add).
  it.each([
    [4, 8, 64, 2_111_488],
    [4, 24, 128, 6_334_464],
    [4, 32, 64, 8_445_952],
    [1, 24, 128, 1_583_616],
    [1, 8, 256, 527_872],
  ] as const)('width %i, %i chains, workgroup %i: every invocation writes its own float32 reference value (rel. error <= 1e-5); %i flops', async (width, chains, wg, flops) => {
    const c = { width, chains, wg };
    const n = 1031;
    const out = Tensor.empty([n]);
    run(peakLaunch(c, n, 0.999, 0.001), { out });
    const got = await read(out);
    for (let i = 0; i < n; i += 97) {
      const want = peakExpected(c, i, 0.999, 0.001);
      expect(Math.abs(got[i] - want) / Math.abs(want)).toBeLessThanOrEqual(1e-5);
    }
    expect(new Set(Array.from(got.slice(0, 64))).size).toBeGreaterThan(32); // lanes differ
    expect(peakFlops(c, n)).toBe(flops);
    // And the kernel does that many: one `x = x * a + b` statement per chain and round.
    const launch = peakLaunch(c, n, 0.999, 0.001);
    const multiplyAdds = launch.spec.wgsl.match(/\bx\d+ = x\d+ \* a \+ b;/g)?.length ?? 0;
    expect(multiplyAdds).toBe(chains * 32);
    expect(n * multiplyAdds * width * 2).toBe(flops);
    out.dispose();
  });
});
