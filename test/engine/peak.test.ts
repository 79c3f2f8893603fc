// The adapter-peak probe (kernels/peak.wgsl.ts) computes what its float32 CPU reference says, so a
// benchmark figure built on it is not the product of optimised-away or lane-merged work.
import { describe, expect, it } from 'vitest';
import { read } from '../../src/engine/io.js';
import { run } from '../../src/engine/ops/run.js';
import { Tensor } from '../../src/engine/tensor.js';
import { peakExpected, peakLaunch } from '../../src/kernels/peak.wgsl.js';
import { useEngine } from '../helpers.js';

useEngine();

describe('peak probe', () => {
  it('every invocation writes its own float32 reference value (rel. error <= 1e-4)', async () => {
    const n = 1031;
    const out = Tensor.empty([n]);
    run(peakLaunch(n, 37, 0.999, 0.001), [out]);
    const got = await read(out);
    for (let i = 0; i < n; i += 97) {
      const want = peakExpected(i, 37, 0.999, 0.001);
      expect(Math.abs(got[i] - want) / Math.abs(want)).toBeLessThanOrEqual(1e-4);
    }
    expect(new Set(Array.from(got.slice(0, 64))).size).toBeGreaterThan(32); // lanes differ
    out.dispose();
  });
});
