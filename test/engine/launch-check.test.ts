// Launches of a declared kernel bind tensors by name; the engine checks each against the
// declaration (src/kernels/signature.ts) and names the kernel and the binding when one is wrong.
import { describe, expect, it } from 'vitest';
import { read } from '../../src/engine/io.js';
import { run } from '../../src/engine/ops/run.js';
import { Tensor } from '../../src/engine/tensor.js';
import { ENTRY_PARAMS, grid1d, linearIndex } from '../../src/kernels/kernel.js';
import { declared, launchOf, signature } from '../../src/kernels/signature.js';
import { useEngine } from '../helpers.js';

useEngine();

// out[i] = x[ids[i]] + f32(other[i]) for i < n: two i32 buffers of the same length, easy to swap.
const SIG = signature(
  'gather_add_for_test',
  { n: 'u32', m: 'u32' },
  {
    x: { type: 'f32', access: 'read', len: (u) => u.m },
    ids: { type: 'i32', access: 'read', len: (u) => u.n },
    other: { type: 'i32', access: 'read', len: (u) => u.n },
    out: { type: 'f32', access: 'write', len: (u) => u.n },
  },
);
const spec = declared('gather_add_for_test', SIG, () => `
@compute @workgroup_size(64)
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(64)};
  if (i >= u.n) { return; }
  out[i] = x[ids[i]] + f32(other[i]);
}`);
const launch = (n: number, m: number) => launchOf(spec, { n, m }, grid1d(Math.ceil(n / 64)));

describe('named launches', () => {
  it('bind by name, whatever the order they are written in', async () => {
    const x = Tensor.fromArray([10, 20, 30], [3]);
    const ids = Tensor.fromArray([2, 0, 1, 1, 0], [5], 'i32');
    const other = Tensor.fromArray([1, 2, 3, 4, 5], [5], 'i32');
    const out = Tensor.empty([5]);
    run(launch(5, 3), { out, other, x, ids });
    expect(Array.from(await read(out))).toEqual([31, 12, 23, 24, 15]);
  });

  it('refuse a wrong dtype, a missing or unknown binding, a short tensor and an aliased output', () => {
    const x = Tensor.fromArray([10, 20, 30], [3]);
    const ids = Tensor.fromArray([2, 0, 1, 1, 0], [5], 'i32');
    const other = Tensor.fromArray([1, 2, 3, 4, 5], [5], 'i32');
    const small = Tensor.fromArray([0, 1], [2], 'i32');
    const out = Tensor.empty([5]);
    const xf = Tensor.fromArray([0, 0, 0, 0, 0], [5]);
    // Swapping an f32 and an i32 tensor: dtype check.
    expect(() => run(launch(5, 3), { x: ids, ids: xf, other, out } as never)).toThrow(/kernel "gather_add_for_test": binding "x" reads f32, got a i32 tensor 5/);
    // Swapping two i32 tensors of different lengths: size check.
    expect(() => run(launch(5, 3), { x, ids: small, other: ids, out })).toThrow(/kernel "gather_add_for_test": binding "ids" may index 5 elements, the tensor covers 2/);
    expect(() => run(launch(5, 3), { x, ids, out } as never)).toThrow(/kernel "gather_add_for_test": binding "other" not given/);
    expect(() => run(launch(5, 3), { x, ids, other, out, extra: out } as never)).toThrow(/kernel "gather_add_for_test" has no binding "extra"/);
    expect(() => run(launch(5, 5), { x: out, ids, other, out })).toThrow(/kernel "gather_add_for_test": output "out" shares its buffer with binding "x"/);
    // A view covers its storage up to its last element only.
    expect(() => run(launch(5, 3), { x, ids, other: ids.view([3], [1], 0), out })).toThrow(/binding "other" may index 5 elements, the tensor covers 3/);
    for (const t of [x, ids, other, small, out, xf]) t.dispose();
  });

  it('are typed: a missing binding does not compile', () => {
    const x = Tensor.fromArray([1], [1]);
    const f = () =>
      // @ts-expect-error: "other" and "out" are missing
      run(launch(1, 1), { x, ids: x });
    expect(f).toThrow(/reads i32/);
    x.dispose();
  });
});
