// The process-wide engine: device, buffer pool and command queue. `initEngine()` once (async),
// then `engine()` anywhere; `destroyEngine()` lets the process exit (Dawn keeps it alive otherwise).
import { openDevice, type OpenedDevice } from './device.js';
import { BufferPool, type MemoryStats } from './pool.js';
import { CommandQueue } from './queue.js';
import { chooseTuning, type Tuning } from './variants.js';

export type { Tuning };

export interface Engine extends OpenedDevice {
  pool: BufferPool;
  queue: CommandQueue;
  tuning: Tuning;
}

function tuningOf(opened: OpenedDevice): Tuning {
  const info = opened.adapter.info;
  return chooseTuning({ feature: opened.features.includes('subgroups'), minSize: info.subgroupMinSize, maxSize: info.subgroupMaxSize }, process.env);
}

export interface EngineOptions {
  /** Dispatches per submit (docs/engine.md, "Command batching and flushes": 15-16 suits most adapters). */
  flushEvery?: number;
}

let current: Engine | null = null;
let opening: Promise<Engine> | null = null;

export async function initEngine(options: EngineOptions = {}): Promise<Engine> {
  if (current) return current;
  opening ??= (async () => {
    const opened = await openDevice();
    const pool = new BufferPool(opened.device, true, 1024, opened.limits.maxStorageBufferBindingSize);
    const flushEvery = options.flushEvery ?? (Number(process.env.ALSEG_FLUSH_EVERY) || 16);
    const queue = new CommandQueue(opened.device, pool, flushEvery, opened.limits.maxStorageBufferBindingSize);
    current = { ...opened, pool, queue, tuning: tuningOf(opened) };
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
