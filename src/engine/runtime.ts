// The process-wide engine: device, buffer pool and command queue. `initEngine()` once (async),
// then `engine()` anywhere; `destroyEngine()` lets the process exit (Dawn keeps it alive otherwise).
import { openDevice, type OpenedDevice } from './device.js';
import { BufferPool, type MemoryStats } from './pool.js';
import { CommandQueue } from './queue.js';

/** Kernel variants chosen for this adapter (bench/ measures the alternatives). */
export interface Tuning {
  /** 'subgroup8' shares B through subgroup broadcasts; needs 8-lane subgroups (lavapipe/AVX2). */
  matmul: 'portable' | 'subgroup8';
  /** Rows of C per invocation in the subgroup variant. */
  matmulTm: number;
  /** Implicit-GEMM convolution kernel (forward, stride-1 input gradient); same condition as matmul. */
  conv: 'portable' | 'subgroup8';
}

export interface Engine extends OpenedDevice {
  pool: BufferPool;
  queue: CommandQueue;
  tuning: Tuning;
}

function chooseTuning(opened: OpenedDevice): Tuning {
  const info = opened.adapter.info;
  const sg8 = opened.features.includes('subgroups') && info.subgroupMinSize === 8 && info.subgroupMaxSize === 8;
  const forced = process.env.ALSEG_MATMUL;
  const matmul = forced === 'portable' || forced === 'subgroup8' ? forced : sg8 ? 'subgroup8' : 'portable';
  if (matmul === 'subgroup8' && !sg8) throw new Error('ALSEG_MATMUL=subgroup8 needs an adapter with 8-lane subgroups');
  const forcedConv = process.env.ALSEG_CONV;
  const conv = forcedConv === 'portable' || forcedConv === 'subgroup8' ? forcedConv : sg8 ? 'subgroup8' : 'portable';
  if (conv === 'subgroup8' && !sg8) throw new Error('ALSEG_CONV=subgroup8 needs an adapter with 8-lane subgroups');
  return { matmul, matmulTm: Number(process.env.ALSEG_MATMUL_TM) || 8, conv };
}

export interface EngineOptions {
  /** Dispatches per submit (ENGINE-NOTES: 15-16 is the sweet spot on most adapters). */
  flushEvery?: number;
}

let current: Engine | null = null;
let opening: Promise<Engine> | null = null;

export async function initEngine(options: EngineOptions = {}): Promise<Engine> {
  if (current) return current;
  opening ??= (async () => {
    const opened = await openDevice();
    const pool = new BufferPool(opened.device);
    const flushEvery = options.flushEvery ?? (Number(process.env.ALSEG_FLUSH_EVERY) || 16);
    const queue = new CommandQueue(opened.device, pool, flushEvery);
    current = { ...opened, pool, queue, tuning: chooseTuning(opened) };
    return current;
  })();
  try {
    return await opening;
  } finally {
    opening = null;
  }
}

export function engine(): Engine {
  if (!current) throw new Error('the GPU engine is not initialised: await initEngine() first');
  return current;
}

export function hasEngine(): boolean {
  return current !== null;
}

export async function destroyEngine(): Promise<void> {
  const e = current;
  if (!e) return;
  current = null;
  try {
    await e.queue.sync();
  } finally {
    e.device.destroy();
  }
}

/** Waits for all submitted GPU work (end of a training step, before timing). */
export async function sync(): Promise<void> {
  await engine().queue.sync();
}
export type { MemoryStats };
