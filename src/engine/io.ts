// Host <-> GPU: reading a tensor's values back (asynchronously), and memory figures.
import { engine } from './runtime.js';
import { contiguous } from './ops/shape.js';
import { noGrad } from './autograd.js';
import { BYTES_PER_ELEMENT, Tensor, liveTensorCount } from './tensor.js';
import type { MemoryStats } from './pool.js';

export async function read(t: Tensor): Promise<Float32Array | Int32Array | Uint32Array> {
  t.assertLive('read');
  const dense = t.isContiguous ? t : noGrad(() => contiguous(t));
  const bytes = t.size * BYTES_PER_ELEMENT[t.dtype];
  const raw = bytes === 0 ? new ArrayBuffer(0) : await engine().queue.read(dense.buffer, dense.offset * 4, bytes);
  if (dense !== t) dense.dispose();
  return t.dtype === 'f32' ? new Float32Array(raw) : t.dtype === 'i32' ? new Int32Array(raw) : new Uint32Array(raw);
}

export async function readF32(t: Tensor): Promise<Float32Array> {
  if (t.dtype !== 'f32') throw new Error(`readF32: ${t} is ${t.dtype}`);
  return (await read(t)) as Float32Array;
}

/** The single value of a one-element tensor. */
export async function item(t: Tensor): Promise<number> {
  if (t.size !== 1) throw new Error(`item: ${t} has ${t.size} elements`);
  return (await read(t))[0];
}

export interface Memory extends MemoryStats {
  liveTensors: number;
}

export function memory(): Memory {
  return { ...engine().pool.memory(), liveTensors: liveTensorCount() };
}
