// A micrograd-sized module system: a Module owns named parameters (kept f32 tensors that require
// grad), named buffers (kept tensors that are state but not trained: BN running statistics) and
// named child modules. Dotted names follow torchvision (`layer1.0.conv1.weight`), so checkpoints
// and pretrained weights line up by name. `train()` / `eval()` switch BN and dropout behaviour.
import { isGradEnabled } from '../engine/autograd.js';
import { engine } from '../engine/runtime.js';
import { Tensor, tidy } from '../engine/tensor.js';

export abstract class Module {
  /** True in training mode (BN uses batch statistics and updates its running ones; dropout drops). */
  training = true;
  private readonly ownParams: [string, Tensor][] = [];
  private readonly ownBuffers: [string, Tensor][] = [];
  private readonly ownChildren: [string, Module][] = [];

  /** Registers a trainable parameter: kept (outlives every tidy scope) and requiring grad. */
  protected param(name: string, t: Tensor): Tensor {
    if (t.dtype !== 'f32') throw new Error(`parameter ${name} must be f32, got ${t.dtype}`);
    t.keep();
    t.requiresGrad = true;
    this.ownParams.push([name, t]);
    return t;
  }

  /** Registers non-trained state (kept, no grad). Updated in place, so its tensor never changes. */
  protected buffer(name: string, t: Tensor): Tensor {
    t.keep();
    this.ownBuffers.push([name, t]);
    return t;
  }

  protected child<M extends Module>(name: string, m: M): M {
    this.ownChildren.push([name, m]);
    return m;
  }

  /** Child modules with their names (direct children only). */
  children(): readonly [string, Module][] {
    return this.ownChildren;
  }

  /** This module and every descendant with its dotted name (the root is named by `prefix`). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix.replace(/\.$/, ''), this]];
    for (const [n, m] of this.ownChildren) out.push(...m.namedModules(`${prefix}${n}.`));
    return out;
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = this.ownParams.map(([n, t]) => [prefix + n, t]);
    for (const [n, m] of this.ownChildren) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = this.ownBuffers.map(([n, t]) => [prefix + n, t]);
    for (const [n, m] of this.ownChildren) out.push(...m.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Parameters and buffers by name: everything a checkpoint of the model holds. */
  namedState(prefix = ''): [string, Tensor][] {
    return [...this.namedParameters(prefix), ...this.namedBuffers(prefix)];
  }

  /** Number of trainable scalars. */
  parameterCount(): number {
    return this.parameters().reduce((n, t) => n + t.size, 0);
  }

  train(mode = true): this {
    this.training = mode;
    for (const [, m] of this.ownChildren) m.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Disposes every parameter, buffer and gradient of this module and its children. */
  dispose(): void {
    for (const [, t] of [...this.ownParams, ...this.ownBuffers]) if (!t.isDisposed) t.dispose();
    for (const [, m] of this.ownChildren) m.dispose();
  }
}

/** A module with one input and one output. */
export abstract class Layer extends Module {
  abstract forward(x: Tensor): Tensor;
  /**
   * This layer and `next` as one forward (with or without a tape), when they have a fused op
   * (BatchNorm2d then ReLU); null otherwise. `into` as in forwardInto.
   */
  fusedWith(_next: Layer): ((x: Tensor, into?: Tensor) => Tensor) | null {
    return null;
  }
  /**
   * forward(x) written into `into` (a view of the output's shape, e.g. a slice of concatBy) where
   * the last op can write to a view; otherwise the plain output, which the caller copies.
   */
  forwardInto(x: Tensor, _into: Tensor): Tensor {
    return this.forward(x);
  }
}

/** Children named 0, 1, 2, ... applied in order (torch.nn.Sequential). */
export class Sequential extends Layer {
  readonly layers: Layer[];
  constructor(...layers: Layer[]) {
    super();
    this.layers = layers.map((l, i) => this.child(String(i), l));
  }
  forward(x: Tensor): Tensor {
    let y = x;
    if (isGradEnabled()) {
      for (let i = 0; i < this.layers.length; ) [y, i] = this.step(y, i, this.layers.length);
      return y;
    }
    // Without a tape no intermediate is needed once the next layer has read it: inference frees
    // each layer's temporaries and its input as it goes, so its peak memory is a few activations
    // rather than all of them. (A layer that returns its input, or a view of it, keeps it alive.)
    for (let i = 0; i < this.layers.length; ) {
      const input = y;
      const at = i;
      const [next, after] = tidy(() => this.step(input, at, this.layers.length));
      if (input !== x && next !== input) input.dispose();
      [y, i] = [next, after];
    }
    return y;
  }
  /**
   * Layer i on y, fused with layer i + 1 when the pair has a fused op and i + 1 < end; the output
   * and the index of the next layer to run.
   */
  private step(y: Tensor, i: number, end: number): [Tensor, number] {
    const fused = i + 1 < end ? this.layers[i].fusedWith(this.layers[i + 1]) : null;
    return fused ? [fused(y), i + 2] : [this.layers[i].forward(y), i + 1];
  }
  override forwardInto(x: Tensor, into: Tensor): Tensor {
    // Inference keeps its freeing and fusing path (and a copy); with a tape the last layer, or the
    // last fused pair, writes.
    if (!isGradEnabled() || this.layers.length === 0) return this.forward(x);
    let y = x;
    const last = this.layers.length - 1;
    const pair = last > 0 ? this.layers[last - 1].fusedWith(this.layers[last]) : null;
    const end = pair ? last - 1 : last;
    for (let i = 0; i < end; ) [y, i] = this.step(y, i, end);
    return pair ? pair(y, into) : this.layers[last].forwardInto(y, into);
  }
}

/** Overwrites a contiguous tensor's contents from the host, keeping the tensor object. */
export function writeInto(t: Tensor, data: Float32Array | Int32Array | Uint32Array): void {
  if (data.length !== t.size) throw new Error(`writeInto: ${data.length} values for ${t}`);
  if (!t.isContiguous) throw new Error(`writeInto: ${t} is not contiguous`);
  if (t.size > 0) engine().queue.write(t.buffer, t.offset * 4, data);
}
