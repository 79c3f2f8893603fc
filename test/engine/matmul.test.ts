// Batched matmul (kernels/matmul.wgsl.ts and kernels/matmul-subgroup.wgsl.ts) against kernels/cpu/matmul.ts, on sizes that are not
// multiples of the 4x8 register tile, through both the scalar and the vec4 variants.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engine, type Tuning } from '../../src/engine/runtime.js';
import { matmul } from '../../src/engine/ops/matmul.js';
import { transpose } from '../../src/engine/ops/shape.js';
import { matmulGradRef, matmulRef } from '../../src/kernels/cpu/matmul.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { matmulLaunch } from '../../src/kernels/matmul.wgsl.js';
import { expectClose, finiteDifferenceCheck, gpuVsReference, skipUnlessAvailable, toGpu, toNd, useEngine, variantUnavailable } from '../helpers.js';

useEngine();

// [a shape, b shape]: scalar path (odd sizes), vec4 path (K, N multiples of 4 but not of the tile), batched, broadcast batch.
const CASES: [number[], number[]][] = [
  [[1, 1], [1, 1]],
  [[7, 13], [13, 5]],
  [[37, 20], [20, 12]],
  [[3, 9, 11], [3, 11, 6]],
  [[2, 13, 8], [8, 28]],
  [[17, 3], [2, 3, 19]],
];

// Every kernel variant the engine may pick: the portable one and the 8-lane-subgroup one (rows per lane 4 and 8).
const VARIANTS: [Tuning['matmul'], number][] = [
  ['portable', 4],
  ['subgroup8', 4],
  ['subgroup8', 8],
];

// A variant the adapter cannot run is skipped with the missing feature named (test/helpers.ts).
describe.each(VARIANTS)('matmul, %s kernel, %i rows per lane', (variant, tm) => {
  let saved: Tuning;
  skipUnlessAvailable(variant);
  beforeAll(() => {
    const t = engine().tuning;
    saved = { ...t };
    if (variantUnavailable(variant)) return;
    t.matmul = variant;
    t.matmulTm = tm;
  });
  afterAll(() => Object.assign(engine().tuning, saved));
  for (const [sa, sb] of CASES) {
    it(`[${sa}] @ [${sb}]: GPU forward and backward vs reference (rel. error <= 1e-5)`, async () => {
      await gpuVsReference(([a, b]) => matmul(a, b), ([a, b]) => matmulRef(a, b), ([a, b], g) => matmulGradRef(a, b, g), [randomNd(sa, 3), randomNd(sb, 4)], {
        forward: 1e-5,
      });
    });
  }

  it('reads transposed operands through their strides', async () => {
    const a = randomNd([12, 33], 5); // used as a^T: [33, 12]
    const b = randomNd([16, 12], 6); // used as b^T: [12, 16]
    const at = { data: new Float64Array(33 * 12), shape: [33, 12] };
    const bt = { data: new Float64Array(12 * 16), shape: [12, 16] };
    for (let i = 0; i < 12; i++) for (let j = 0; j < 33; j++) at.data[j * 12 + i] = a.data[i * 33 + j];
    for (let i = 0; i < 16; i++) for (let j = 0; j < 12; j++) bt.data[j * 16 + i] = b.data[i * 12 + j];
    const y = matmul(transpose(toGpu(a)), transpose(toGpu(b)));
    expectClose(await toNd(y), matmulRef(at, bt), 1e-5);
  });

});

describe('matmul', () => {
  for (const [sa, sb] of CASES) {
    it(`[${sa}] @ [${sb}]: finite differences on the reference`, () => {
      finiteDifferenceCheck(([a, b]) => matmulRef(a, b), ([a, b], g) => matmulGradRef(a, b, g), [randomNd(sa, 1), randomNd(sb, 2)]);
    });
  }

  it('picks the vec4 variant only when rows are 4-aligned', () => {
    const vec = matmulLaunch({ batch: 1, m: 5, n: 8, k: 12 }, { offset: 0, sBatch: 0, sRow: 12, sCol: 1 }, { offset: 0, sBatch: 0, sRow: 8, sCol: 1 });
    const scalar = matmulLaunch({ batch: 1, m: 5, n: 7, k: 13 }, { offset: 0, sBatch: 0, sRow: 13, sCol: 1 }, { offset: 0, sBatch: 0, sRow: 7, sCol: 1 });
    expect(vec.spec.name).toContain('_va_vb');
    expect(scalar.spec.name).toContain('_sa_sb');
  });

  it('rejects mismatched inner sizes with a clear error', () => {
    expect(() => matmul(toGpu(randomNd([3, 4], 1)), toGpu(randomNd([5, 2], 1)))).toThrow(/inner sizes differ/);
  });
});
