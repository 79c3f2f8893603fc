// GPU-side failures surface as GpuError naming the kernel, never as a hang or a wrong answer.
import { describe, expect, it } from 'vitest';
import { GpuError } from '../../src/engine/errors.js';
import { read } from '../../src/engine/io.js';
import { run } from '../../src/engine/ops/run.js';
import { add } from '../../src/engine/ops/elementwise.js';
import { engine } from '../../src/engine/runtime.js';
import { Tensor } from '../../src/engine/tensor.js';
import { declared, launchOf, signature, specOf, type BindingDecl } from '../../src/kernels/signature.js';
import { useEngine } from '../helpers.js';

useEngine();

describe('GPU errors', () => {
  it('a kernel binding more storage buffers than the adapter allows is named before it is compiled', () => {
    const n = engine().device.limits.maxStorageBuffersPerShaderStage + 1;
    const ts = Array.from({ length: n }, () => Tensor.empty([4]));
    const bindings: Record<string, BindingDecl> = {};
    ts.forEach((_, i) => (bindings[`b${i}`] = { type: 'f32', access: 'read_write' }));
    const sig = signature('too_many_bindings_for_test', { n: 'u32' }, bindings);
    const launch = launchOf(specOf('too_many_bindings_for_test', sig, ''), { n: 0 }, [1, 1, 1]);
    expect(() => run(launch, Object.fromEntries(ts.map((t, i) => [`b${i}`, t])))).toThrow(new RegExp(`kernel "too_many_bindings_for_test" binds ${n} storage buffers; this adapter allows ${n - 1}`));
    for (const t of ts) t.dispose();
  });
  it('a kernel that fails to compile is named, with the WGSL line', async () => {
    const out = Tensor.empty([4]);
    const sig = signature('broken_kernel_for_test', { n: 'u32' }, { out: { type: 'f32', access: 'read_write' } });
    const spec = declared('broken_kernel_for_test', sig, () => '@compute @workgroup_size(1) fn main() { let x: f32 = undefined_symbol; out[0] = x; }');
    run(launchOf(spec, { n: 0 }, [1, 1, 1]), { out });
    const err = await engine().queue.sync().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GpuError);
    expect(String(err)).toMatch(/broken_kernel_for_test/);
    expect(String(err)).toMatch(/undefined_symbol|unresolved/);
    out.dispose();
  });

  it('after an error is reported the engine keeps working', async () => {
    const a = Tensor.fromArray([1, 2], [2]);
    expect(Array.from(await read(add(a, a)))).toEqual([2, 4]);
  });

  it('a buffer over the binding-size limit is refused with the kernel name and sizes', () => {
    const limit = engine().device.limits.maxStorageBufferBindingSize;
    const big = engine().pool.acquire(limit + 16);
    const sig = signature('too_big', { n: 'u32' }, { out: { type: 'f32', access: 'read_write' } });
    expect(() => engine().queue.dispatch(launchOf(specOf('too_big', sig, ''), { n: 1 }, [1, 1, 1]), [big])).toThrow(/too_big.*MiB, over this adapter's maxStorageBufferBindingSize/);
    engine().pool.release(big);
  });

  it('a launch with the wrong number of buffers is refused before it reaches the GPU', () => {
    const a = Tensor.fromArray([1], [1]);
    const sig = signature('two_buffers', { n: 'u32' }, { x: { type: 'f32', access: 'read' }, out: { type: 'f32', access: 'read_write' } });
    // Named launches check this first (test/engine/launch-check.test.ts); the queue checks again.
    expect(() => engine().queue.dispatch(launchOf(specOf('two_buffers', sig, ''), { n: 1 }, [1, 1, 1]), [a.buffer])).toThrow(/two_buffers.*takes 2 buffers, got 1/);
  });
});
