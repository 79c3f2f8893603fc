// The command stream: one pending encoder and compute pass, flushed every `flushEvery` dispatches,
// before any readback and at step end (docs/engine.md, "Command batching and flushes"). Each
// dispatch gets its own slot in a uniform ring, written once just before the submit that uses it
// ("Uniform ring"). Pipelines are cached by kernel name; shapes travel in uniforms so one pipeline
// serves every shape. Bind groups are cached by kernel and buffers ("Bind groups"): the ring slot
// is a dynamic offset, so a training step's repeated launches on pooled buffers reuse them.
import type { KernelSpec, Launch } from '../kernels/kernel.js';
import { BindingLimitError, GpuError } from './errors.js';
import { BUFFER_USAGE, READBACK_USAGE, type BufferPool } from './pool.js';
import { gpuWait } from './polling.js';

const UNIFORM_SLOT = 256;
/** GPUShaderStage.COMPUTE (a constant here: the globals are installed when the device opens). */
const COMPUTE_STAGE = 0x4;
/** Cached bind groups before the cache starts over (a training step needs a few hundred). */
const BIND_GROUP_CACHE = 4096;

export interface QueueStats {
  dispatches: number;
  submits: number;
  pipelines: number;
  /** Bind groups created (a dispatch whose kernel and buffers were seen before reuses one). */
  bindGroups: number;
}

interface CachedPipeline {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

/** Layout of a kernel's bindings: the uniform slot (dynamic offset) at 0, its storage buffers at 1..n. */
function bindGroupLayout(device: GPUDevice, spec: KernelSpec): GPUBindGroupLayout {
  const entries: GPUBindGroupLayoutEntry[] = [
    { binding: 0, visibility: COMPUTE_STAGE, buffer: { type: 'uniform', hasDynamicOffset: true } },
  ];
  spec.bindings.forEach((access, i) =>
    entries.push({ binding: i + 1, visibility: COMPUTE_STAGE, buffer: { type: access === 'read' ? 'read-only-storage' : 'storage' } }),
  );
  return device.createBindGroupLayout({ entries, label: spec.name });
}

export class CommandQueue {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private batchKernels: string[] = [];
  private readonly ring: GPUBuffer;
  private readonly ringStaging: Uint8Array;
  private readonly slot: number;
  private readonly pipelines = new Map<string, CachedPipeline>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 0;
  private error: GpuError | null = null;
  private compileError: GpuError | null = null;
  private lost = false;
  private checks: Promise<void>[] = [];
  private lastKernels: string[] = [];
  readonly stats: QueueStats = { dispatches: 0, submits: 0, pipelines: 0, bindGroups: 0 };

  constructor(
    private readonly device: GPUDevice,
    private readonly pool: BufferPool,
    readonly flushEvery = 16,
    /** The largest storage binding a dispatch may use: the device's, or alseg's lower cap (device.ts). */
    private readonly maxBinding = device.limits.maxStorageBufferBindingSize,
  ) {
    this.slot = Math.max(UNIFORM_SLOT, device.limits.minUniformBufferOffsetAlignment);
    this.ring = device.createBuffer({
      size: this.slot * flushEvery,
      usage: BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST,
      label: 'uniform ring',
    });
    this.ringStaging = new Uint8Array(this.slot * flushEvery);
    device.lost.then((info) => {
      if (info.reason !== 'destroyed') {
        this.lost = true;
        this.error ??= new GpuError(`GPU device lost (${info.reason}): ${info.message}; last kernels: ${this.describeLast()}`);
      }
    });
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.error ??= new GpuError(`${ev.error.message} (last kernels: ${this.describeLast()})`);
    };
  }

  private describeLast(): string {
    const names = [...this.lastKernels, ...this.batchKernels];
    return names.length ? [...new Set(names)].join(', ') : '(none)';
  }

  /**
   * Throws the first GPU error seen since the last one thrown, naming the kernels of the batch it
   * came from (a shader that failed to compile is named before the batch errors it caused).
   * Each error is thrown once; a lost device keeps failing.
   */
  throwIfFailed(): void {
    const err = this.compileError ?? this.error;
    if (!err) return;
    if (!this.lost) {
      this.compileError = null;
      this.error = null;
    }
    throw err;
  }

  pipeline(spec: KernelSpec): CachedPipeline {
    let p = this.pipelines.get(spec.name);
    if (!p) {
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ code: spec.wgsl, label: spec.name });
      const layout = bindGroupLayout(this.device, spec);
      const pipelineLayout = this.device.createPipelineLayout({ bindGroupLayouts: [layout], label: spec.name });
      const pipeline = this.device.createComputePipeline({ layout: pipelineLayout, compute: { module, entryPoint: 'main' }, label: spec.name });
      p = { pipeline, layout };
      const name = spec.name;
      const info = module.getCompilationInfo();
      this.checks.push(
        Promise.all([this.device.popErrorScope(), info]).then(([err, info]) => {
          if (!err) return;
          const lines = info.messages.map((m) => `  ${m.type} at line ${m.lineNum}:${m.linePos}: ${m.message}`);
          this.compileError ??= new GpuError(`kernel "${name}" failed to compile: ${err.message}\n${lines.join('\n')}`);
        }),
      );
      this.pipelines.set(spec.name, p);
      this.stats.pipelines++;
    }
    return p;
  }

  private ensurePass(): GPUComputePassEncoder {
    if (!this.encoder) {
      this.device.pushErrorScope('out-of-memory');
      this.device.pushErrorScope('validation');
      this.encoder = this.device.createCommandEncoder();
    }
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    return this.pass;
  }

  /** Encodes one dispatch. `buffers` are bound at 1..n in the kernel's binding order. */
  dispatch(launch: Launch, buffers: readonly GPUBuffer[]): void {
    this.throwIfFailed();
    const { spec } = launch;
    if (buffers.length !== spec.bindings.length) {
      throw new Error(`kernel "${spec.name}" takes ${spec.bindings.length} buffers, got ${buffers.length}`);
    }
    if (launch.uniforms.byteLength > this.slot) {
      throw new Error(`kernel "${spec.name}": uniform block of ${launch.uniforms.byteLength} B exceeds ${this.slot} B`);
    }
    // An adapter may allow fewer storage buffers per stage than a kernel binds (WebGPU's default
    // is 8; the pseudo-label expansion binds 11): say so by name instead of a validation error.
    const perStage = this.device.limits.maxStorageBuffersPerShaderStage;
    if (spec.bindings.length > perStage) {
      throw new Error(`kernel "${spec.name}" binds ${spec.bindings.length} storage buffers; this adapter allows ${perStage} per shader stage`);
    }
    const [x, y, z] = launch.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const limit = this.maxBinding;
    for (const b of buffers) {
      if (b.size > limit) {
        throw new BindingLimitError(
          `kernel "${spec.name}" would bind a buffer of ${(b.size / 2 ** 20).toFixed(1)} MiB, over this adapter's maxStorageBufferBindingSize of ${(limit / 2 ** 20).toFixed(1)} MiB: use a smaller batch or crop`,
        );
      }
    }
    const { pipeline, layout } = this.pipeline(spec);
    const pass = this.ensurePass();
    const slotIndex = this.batchKernels.length;
    this.ringStaging.set(new Uint8Array(launch.uniforms), slotIndex * this.slot);
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, this.bindGroup(spec, layout, launch.uniforms.byteLength, buffers), [slotIndex * this.slot]);
    pass.dispatchWorkgroups(x, y, z);
    this.batchKernels.push(spec.name);
    this.stats.dispatches++;
    if (this.batchKernels.length >= this.flushEvery) this.flush();
  }

  /**
   * The bind group of `spec` over `buffers` (whole buffers) and the uniform ring, created on first
   * use. A buffer's id is its identity, never reused, so a destroyed buffer's groups are never hit
   * again; they go when the cache starts over.
   */
  private bindGroup(spec: KernelSpec, layout: GPUBindGroupLayout, uniformBytes: number, buffers: readonly GPUBuffer[]): GPUBindGroup {
    let key = `${spec.name}|${uniformBytes}`;
    for (const b of buffers) {
      let id = this.bufferIds.get(b);
      if (id === undefined) this.bufferIds.set(b, (id = this.nextBufferId++));
      key += `|${id}`;
    }
    let group = this.bindGroups.get(key);
    if (!group) {
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.ring, offset: 0, size: uniformBytes } }];
      buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
      group = this.device.createBindGroup({ layout, entries, label: spec.name });
      if (this.bindGroups.size >= BIND_GROUP_CACHE) this.bindGroups.clear();
      this.bindGroups.set(key, group);
      this.stats.bindGroups++;
    }
    return group;
  }

  /** Encodes a buffer-to-buffer copy in stream order. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.throwIfFailed();
    this.ensurePass();
    this.pass!.end();
    this.pass = null;
    this.encoder!.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Writes host data into a buffer, ordered after every dispatch encoded so far. */
  write(dst: GPUBuffer, dstOffset: number, data: ArrayBufferView): void {
    this.throwIfFailed();
    if (this.encoder) this.flush();
    this.device.queue.writeBuffer(dst, dstOffset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Submits everything encoded so far. */
  flush(): void {
    if (!this.encoder) return;
    if (this.pass) this.pass.end();
    const used = this.batchKernels.length * this.slot;
    if (used > 0) this.device.queue.writeBuffer(this.ring, 0, this.ringStaging.buffer, 0, used);
    const cmd = this.encoder.finish();
    this.device.queue.submit([cmd]);
    const names = this.batchKernels;
    const [validation, oom] = [this.device.popErrorScope(), this.device.popErrorScope()];
    this.checks.push(
      Promise.all([validation, oom]).then(([v, o]) => {
        const err = v ?? o;
        if (err) {
          const kind = o && !v ? 'out of GPU memory' : 'GPU validation error';
          this.error ??= new GpuError(`${kind} in a batch of kernels [${[...new Set(names)].join(', ')}]: ${err.message}`);
        }
      }),
    );
    this.lastKernels = names;
    this.encoder = null;
    this.pass = null;
    this.batchKernels = [];
    this.stats.submits++;
    this.pool.afterSubmit();
  }

  /** Waits until the GPU has finished all submitted work and reports any error it raised. */
  async sync(): Promise<void> {
    this.flush();
    await gpuWait(this.device.queue.onSubmittedWorkDone());
    await this.settleChecks();
  }

  private async settleChecks(): Promise<void> {
    const checks = this.checks;
    this.checks = [];
    await Promise.all(checks);
    this.throwIfFailed();
  }

  /** Copies `bytes` from `src` into a staging buffer and returns them once the GPU is done. */
  async read(src: GPUBuffer, offset: number, bytes: number): Promise<ArrayBuffer> {
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.pool.acquire(size, READBACK_USAGE, 'readback');
    this.copy(src, offset, staging, 0, size);
    this.flush();
    try {
      await gpuWait(staging.mapAsync(0x0001 /* GPUMapMode.READ */, 0, size));
    } catch (e) {
      await this.settleChecks();
      throw new GpuError(`readback failed: ${e instanceof Error ? e.message : String(e)}; last kernels: ${this.describeLast()}`);
    }
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    this.pool.release(staging);
    await this.settleChecks();
    return out;
  }
}
