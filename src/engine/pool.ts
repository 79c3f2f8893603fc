// GPU buffers pooled by size class and usage. Training shapes are static, so after the first step
// every request is served from a free list and nothing new is allocated. Inference over images of
// many sizes (VOC has hundreds) is not: pooled by exact size, every new size left its buffers
// behind and a run's footprint grew with the number of sizes it met (measured: 2.1 GB vs 0.6 GB for
// the same run on fixed-size images). So sizes are rounded up to one of eight classes per octave
// (at most 12.5% unused), a request takes the smallest free buffer of its class or of the next
// classes up to twice its size, and while free bytes exceed the high-water mark of bytes in use,
// free buffers left unused for `idleSubmits` submits are destroyed, oldest first: the footprint then
// depends on the largest working set, not on how many sizes were seen. (Idle ones only: a training
// loop reuses every buffer each step, and may hold more than its peak in use, since a free buffer
// does not serve a larger class; destroying those would re-create them every step.)
//
// When may a released buffer be handed out again? Dispatches in one stream run in order (WebGPU
// puts a barrier between dispatches that write storage), so a later *dispatch* may reuse a buffer
// that earlier, still unsubmitted dispatches read. What is not ordered is the queue timeline:
// `writeBuffer` and `destroy` act before unsubmitted work. Our queue flushes before every host
// write, so by default a released buffer is reusable at once (`reuseBeforeSubmit`), which keeps the
// pool's footprint independent of where the flushes fall in a step. With it off, released
// buffers wait on a pending list until the next submit (the conservative rule),
// which a backend that writes buffers without flushing would need. A buffer is destroyed only
// once a submit has followed its release (work already submitted keeps it alive until done).
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

/** Classes per octave: a buffer is at most 1/8 larger than the request that created it. */
const CLASSES_PER_OCTAVE = 8;
/** A free buffer serves requests down to half its size. */
const REUSE_CLASSES = CLASSES_PER_OCTAVE;
/** Sizes up to this many bytes keep exact 16-byte classes (few of them, and tiny). */
const SMALL = 256;

/** The class of a request: an index that grows by 8 per doubling of the size. */
export function sizeClass(bytes: number): number {
  const size = roundSize(bytes);
  if (size <= SMALL) return size / 16 - 1;
  const octave = Math.floor(Math.log2(size)) - 3; // size = m * 2^octave with m in [8, 16)
  let m = Math.ceil(size / 2 ** octave);
  let o = octave;
  if (m === 16) {
    m = 8;
    o++;
  }
  return SMALL / 16 + (o - Math.log2(SMALL) + 3) * CLASSES_PER_OCTAVE + (m - 8);
}

/** The buffer size of a class: the largest request it serves. */
export function classSize(cls: number): number {
  if (cls < SMALL / 16) return (cls + 1) * 16;
  const k = cls - SMALL / 16;
  const o = Math.floor(k / CLASSES_PER_OCTAVE) + Math.log2(SMALL) - 3;
  return (8 + (k % CLASSES_PER_OCTAVE)) * 2 ** o;
}

interface BufferMeta {
  /** Creation order: a free list hands out its highest id first. */
  id: number;
  cls: number;
  usage: number;
  size: number;
  /** The pool's submit count when the buffer was last released. */
  releasedAt: number;
}

export class BufferPool {
  /**
   * Free buffers per "class:usage", ids ascending: `pop` takes the newest buffer, so which buffer a
   * request gets depends only on which buffers are free, not on the order they were released in
   * (a training step then gets the same buffers every step, and the queue's bind groups repeat:
   * docs/engine.md, "Bind groups"), and a step's own working set is preferred to older leftovers.
   */
  private readonly free = new Map<string, GPUBuffer[]>();
  /** Every free buffer, oldest release first (a Set keeps insertion order). */
  private readonly freeOrder = new Set<GPUBuffer>();
  private freeBytes = 0;
  private pending: GPUBuffer[] = [];
  private submits = 0;
  /** The most bytes ever in use at once; free buffers beyond it are destroyed. */
  private highWater = 0;
  private created = 0;
  private readonly meta = new WeakMap<GPUBuffer, BufferMeta>();
  private stats: MemoryStats = { bytesInUse: 0, bytesAllocated: 0, buffersCreated: 0, peakBytesInUse: 0 };

  constructor(
    private readonly device: GPUDevice,
    readonly reuseBeforeSubmit = true,
    /** Submits a free buffer must sit unused before it may be destroyed (a step is tens to hundreds). */
    readonly idleSubmits = 1024,
    /** The largest storage binding alseg uses: the device's, or its lower cap (device.ts). */
    private readonly maxBinding = device.limits.maxStorageBufferBindingSize,
  ) {}

  acquire(bytes: number, usage: number = STORAGE_USAGE, label?: string): GPUBuffer {
    const cls = sizeClass(bytes);
    let buf = this.takeFree(cls, usage);
    if (!buf) {
      const exact = roundSize(bytes);
      // The class's size, unless that alone would cross a limit the request itself does not.
      const limit = Math.min(this.device.limits.maxBufferSize, usage & BUFFER_USAGE.STORAGE ? this.maxBinding : Infinity);
      const size = Math.max(exact, Math.min(classSize(cls), limit));
      if (size > this.device.limits.maxBufferSize) {
        throw new BindingLimitError(`a tensor of ${(size / 2 ** 20).toFixed(1)} MiB exceeds this adapter's maxBufferSize of ${(this.device.limits.maxBufferSize / 2 ** 20).toFixed(1)} MiB`);
      }
      buf = this.device.createBuffer({ size, usage, label });
      this.meta.set(buf, { id: this.created++, cls, usage, size, releasedAt: 0 });
      this.stats.bytesAllocated += size;
      this.stats.buffersCreated++;
    }
    const size = this.meta.get(buf)!.size;
    this.stats.bytesInUse += size;
    if (this.stats.bytesInUse > this.stats.peakBytesInUse) this.stats.peakBytesInUse = this.stats.bytesInUse;
    if (this.stats.bytesInUse > this.highWater) this.highWater = this.stats.bytesInUse;
    return buf;
  }

  /** The smallest free buffer of this class or the next ones (up to twice the size) with this usage. */
  private takeFree(cls: number, usage: number): GPUBuffer | undefined {
    const top = cls < SMALL / 16 ? cls : cls + REUSE_CLASSES - 1;
    for (let c = cls; c <= top; c++) {
      const buf = this.free.get(`${c}:${usage}`)?.pop();
      if (buf) {
        this.freeOrder.delete(buf);
        this.freeBytes -= this.meta.get(buf)!.size;
        return buf;
      }
    }
    return undefined;
  }

  /** Returns a buffer; it becomes reusable after the next submit. */
  release(buf: GPUBuffer): void {
    const m = this.meta.get(buf);
    if (!m) throw new Error('BufferPool.release: buffer does not belong to this pool');
    this.stats.bytesInUse -= m.size;
    m.releasedAt = this.submits;
    if (this.reuseBeforeSubmit) this.toFree(buf);
    else this.pending.push(buf);
  }

  private toFree(buf: GPUBuffer): void {
    const m = this.meta.get(buf)!;
    const key = `${m.cls}:${m.usage}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    // Insert keeping ids ascending (binary search; lists are short).
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.meta.get(list[mid])!.id < m.id) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, buf);
    this.freeOrder.add(buf);
    this.freeBytes += m.size;
  }

  /** Called by the queue right after a submit. */
  afterSubmit(): void {
    this.submits++;
    for (const buf of this.pending) this.toFree(buf);
    this.pending = [];
    if (this.freeBytes > this.highWater) this.evict(this.highWater);
  }

  /**
   * Destroys the oldest free buffers idle for `idleSubmits` submits until at most `keep` free bytes
   * remain. Work already submitted that uses one keeps it alive until done (WebGPU's destroy).
   */
  private evict(keep: number): void {
    for (const buf of this.freeOrder) {
      if (this.freeBytes <= keep) break;
      const m = this.meta.get(buf)!;
      if (this.submits - m.releasedAt < Math.max(1, this.idleSubmits)) break; // the rest were released later
      const list = this.free.get(`${m.cls}:${m.usage}`)!;
      list.splice(list.indexOf(buf), 1);
      this.freeOrder.delete(buf);
      this.freeBytes -= m.size;
      this.stats.bytesAllocated -= m.size;
      buf.destroy();
    }
  }

  /** Destroys the free buffers, e.g. after a shape change. Call after `sync()`: work still queued may use them. */
  trim(): void {
    for (const buf of this.freeOrder) {
      this.stats.bytesAllocated -= this.meta.get(buf)!.size;
      buf.destroy();
    }
    this.free.clear();
    this.freeOrder.clear();
    this.freeBytes = 0;
  }

  memory(): MemoryStats {
    return { ...this.stats };
  }

  resetPeak(): void {
    this.stats.peakBytesInUse = this.stats.bytesInUse;
  }
}
