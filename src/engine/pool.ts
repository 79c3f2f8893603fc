// GPU buffers pooled by exact (size, usage). Training shapes are static, so after the first step
// every request is served from a free list and nothing new is allocated.
//
// When may a released buffer be handed out again? Dispatches in one stream run in order (WebGPU
// puts a barrier between dispatches that write storage), so a later *dispatch* may reuse a buffer
// that earlier, still unsubmitted dispatches read. What is not ordered is the queue timeline:
// `writeBuffer` and `destroy` act before unsubmitted work. Our queue flushes before every host
// write, so by default a released buffer is reusable at once (`reuseBeforeSubmit`), which keeps the
// pool's footprint independent of where the flushes fall in a step. With it off, released
// buffers wait on a pending list until the next submit (the conservative rule of ENGINE-NOTES 3),
// which a backend that writes buffers without flushing would need. Destroying (trim) always waits.
import { BindingLimitError } from './errors.js';

export interface MemoryStats {
  /** Bytes of buffers handed out and not yet released. */
  bytesInUse: number;
  /** Bytes of all buffers the pool created and still holds (in use + free + pending). */
  bytesAllocated: number;
  /** Number of buffers ever created (a leak or a missed reuse makes it grow). */
  buffersCreated: number;
  /** High-water mark of bytesInUse since the last `resetPeak()`. */
  peakBytesInUse: number;
}

// Numeric because the GPUBufferUsage global exists only after the webgpu globals are installed.
export const BUFFER_USAGE = { MAP_READ: 0x0001, COPY_SRC: 0x0004, COPY_DST: 0x0008, UNIFORM: 0x0040, STORAGE: 0x0080 };
export const STORAGE_USAGE = BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_SRC | BUFFER_USAGE.COPY_DST;
export const READBACK_USAGE = BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST;

/** Buffer sizes are rounded up to 16 bytes so every buffer can be bound as array<vec4<f32>>. */
export function roundSize(bytes: number): number {
  return Math.max(16, Math.ceil(bytes / 16) * 16);
}

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private pending: GPUBuffer[] = [];
  private readonly meta = new WeakMap<GPUBuffer, { key: string; size: number }>();
  private stats: MemoryStats = { bytesInUse: 0, bytesAllocated: 0, buffersCreated: 0, peakBytesInUse: 0 };

  constructor(
    private readonly device: GPUDevice,
    readonly reuseBeforeSubmit = true,
  ) {}

  acquire(bytes: number, usage: number = STORAGE_USAGE, label?: string): GPUBuffer {
    const size = roundSize(bytes);
    const key = `${size}:${usage}`;
    const list = this.free.get(key);
    let buf = list?.pop();
    if (!buf) {
      if (size > this.device.limits.maxBufferSize) {
        throw new BindingLimitError(`a tensor of ${(size / 2 ** 20).toFixed(1)} MiB exceeds this adapter's maxBufferSize of ${(this.device.limits.maxBufferSize / 2 ** 20).toFixed(1)} MiB`);
      }
      buf = this.device.createBuffer({ size, usage, label });
      this.meta.set(buf, { key, size });
      this.stats.bytesAllocated += size;
      this.stats.buffersCreated++;
    }
    this.stats.bytesInUse += size;
    if (this.stats.bytesInUse > this.stats.peakBytesInUse) this.stats.peakBytesInUse = this.stats.bytesInUse;
    return buf;
  }

  /** Returns a buffer; it becomes reusable after the next submit. */
  release(buf: GPUBuffer): void {
    const m = this.meta.get(buf);
    if (!m) throw new Error('BufferPool.release: buffer does not belong to this pool');
    this.stats.bytesInUse -= m.size;
    if (this.reuseBeforeSubmit) this.toFree(buf, m.key);
    else this.pending.push(buf);
  }

  private toFree(buf: GPUBuffer, key: string): void {
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buf);
  }

  /** Called by the queue right after a submit. */
  afterSubmit(): void {
    for (const buf of this.pending) this.toFree(buf, this.meta.get(buf)!.key);
    this.pending = [];
  }

  /** Destroys the free buffers, e.g. after a shape change. Call after `sync()`: work still queued may use them. */
  trim(): void {
    for (const list of this.free.values()) {
      for (const buf of list) {
        this.stats.bytesAllocated -= this.meta.get(buf)!.size;
        buf.destroy();
      }
    }
    this.free.clear();
  }

  memory(): MemoryStats {
    return { ...this.stats };
  }

  resetPeak(): void {
    this.stats.peakBytesInUse = this.stats.bytesInUse;
  }
}
