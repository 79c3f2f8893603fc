// GPU-side failures surface as GpuError naming the kernel, never as a hang or a wrong answer.
import { describe, expect, it } from 'vitest';
import { GpuError } from '../../src/engine/errors.js';
import { read } from '../../src/engine/io.js';
import { run } from '../../src/engine/ops/run.js';
import { add } from '../../src/engine/ops/elementwise.js';
import { engine } from '../../src/engine/runtime.js';
import { Tensor } from '../../src/engine/tensor.js';
import { Uniforms } from '../../src/kernels/kernel.js';
import { useEngine } from '../helpers.js';

useEngine();

describe('GPU errors', () => {
  it('a kernel binding more storage buffers than the adapter allows is named before it is compiled', () => {
    const n = engine().device.limits.maxStorageBuffersPerShaderStage + 1;
    const ts = Array.from({ length: n }, () => Tensor.empty([4]));
    const launch = { spec: { name: 'too_many_bindings_for_test', bindings: Array(n).fill('read_write'), wgsl: '' }, uniforms: new Uniforms().u32(0).pack(), workgroups: [1, 1, 1] as [number, number, number] };
    expect(() => run(launch, ts)).toThrow(new RegExp(`kernel "too_many_bindings_for_test" binds ${n} storage buffers; this adapter allows ${n - 1}`));
    for (const t of ts) t.dispose();
  });
  it('a kernel that fails to compile is named, with the WGSL line', async () => {
    const out = Tensor.empty([4]);
    run(
      {
        spec: { name: 'broken_kernel_for_test', bindings: ['read_write'], wgsl: '@compute @workgroup_size(1) fn main() { let x: f32 = undefined_symbol; }' },
        uniforms: new Uniforms().u32(0).pack(),
        workgroups: [1, 1, 1],
      },
      [out],
    );
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
    expect(() =>
      engine().queue.dispatch({ spec: { name: 'too_big', bindings: ['read_write'], wgsl: '' }, uniforms: new Uniforms().u32(1).pack(), workgroups: [1, 1, 1] }, [big]),
    ).toThrow(/too_big.*MiB, over this adapter's maxStorageBufferBindingSize/);
    engine().pool.release(big);
  });

  it('a launch with the wrong number of buffers is refused before it reaches the GPU', () => {
    const a = Tensor.fromArray([1], [1]);
    expect(() =>
      run({ spec: { name: 'two_buffers', bindings: ['read', 'read_write'], wgsl: '' }, uniforms: new Uniforms().u32(1).pack(), workgroups: [1, 1, 1] }, [a]),
    ).toThrow(/two_buffers.*takes 2 buffers, got 1/);
  });
});
