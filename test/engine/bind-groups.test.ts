// The queue's bind-group cache (docs/engine.md, "Bind groups"): a kernel launched again on the same
// buffers reuses its bind group, and each launch still reads its own uniform slot through the
// dynamic offset, also when several launches of one kernel share a batch.
import { describe, expect, it } from 'vitest';
import { read } from '../../src/engine/io.js';
import { run } from '../../src/engine/ops/run.js';
import { engine } from '../../src/engine/runtime.js';
import { Tensor } from '../../src/engine/tensor.js';
import { declared, launchOf, signature } from '../../src/kernels/signature.js';
import { useEngine } from '../helpers.js';

useEngine();

const SIG = signature('multiply_add_for_test', { n: 'u32', s: 'f32' }, {
  x: { type: 'f32', access: 'read', len: (u) => u.n },
  acc: { type: 'f32', access: 'read_write', len: (u) => u.n },
});
// acc = acc * s + x
const spec = () =>
  declared('multiply_add_for_test', SIG, () => `
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.x < u.n) { acc[g.x] = acc[g.x] * u.s + x[g.x]; }
}`);
const launch = (n: number, s: number) => launchOf(spec(), { n, s }, [Math.ceil(n / 64), 1, 1]);

describe('bind groups', () => {
  it('launches of one kernel on the same buffers share a bind group and read their own uniforms', async () => {
    const n = 67;
    const xs = Array.from({ length: n }, (_, i) => i - 20);
    const x = Tensor.fromArray(xs, [n]);
    const acc = Tensor.fromArray(new Array<number>(n).fill(0), [n]);
    const q = engine().queue;
    await q.sync();
    const before = q.stats.bindGroups;
    // One batch (fewer dispatches than a flush): acc = ((0 * 2 + x) * 3 + x) * 5 + x = 21 x.
    for (const s of [2, 3, 5]) run(launch(n, s), { x, acc });
    expect(await read(acc)).toEqual(Float32Array.from(xs, (v) => 21 * v));
    expect(q.stats.bindGroups - before).toBeLessThanOrEqual(1);
    // Other buffers: a bind group of their own, and the right values.
    const y = Tensor.fromArray(xs.map((v) => v * 2), [n]);
    const acc2 = Tensor.fromArray(new Array<number>(n).fill(1), [n]);
    const mid = q.stats.bindGroups;
    run(launch(n, 4), { x: y, acc: acc2 });
    expect(await read(acc2)).toEqual(Float32Array.from(xs, (v) => 4 + 2 * v));
    expect(q.stats.bindGroups - mid).toBe(1);
    // The first pair again: its group is reused.
    const again = q.stats.bindGroups;
    run(launch(n, 1), { x, acc });
    expect(await read(acc)).toEqual(Float32Array.from(xs, (v) => 22 * v));
    expect(q.stats.bindGroups).toBe(again);
    for (const t of [x, acc, y, acc2]) t.dispose();
  });
});
