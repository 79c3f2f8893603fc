// Optimisers with parameter groups (each its own learning rate: the method trains the head at 10x
// the backbone's), a poly schedule, and updates in place on the GPU.
import { ADAMW_GROUP_MAX_ELEMENTS, adamwGroupLaunch, adamwLaunch, sgdLaunch, type AdamWHyper } from '../kernels/optim.wgsl.js';
import { engine } from './runtime.js';
import { fmtShape, run, sameShape } from './ops/run.js';
import { zeros } from './ops/shape.js';
import type { Tensor } from './tensor.js';

export interface ParamGroup {
  name: string;
  params: Tensor[];
  /** Base learning rate of the group (before the schedule's factor). */
  lr: number;
  weightDecay?: number;
}

/** Poly decay: lr_t = max(lr0 (1 - t/T)^power, floor), as in DeepLab and the method's code. */
export function polyLr(base: number, step: number, total: number, power = 0.9, floor = 1e-6): number {
  const frac = Math.min(1, Math.max(0, step / Math.max(1, total)));
  return Math.max(base * (1 - frac) ** power, floor);
}

/** A parameter, its gradient and its optimiser state. */
export interface ParamUpdate {
  p: Tensor;
  g: Tensor;
  state: Tensor[];
}

export abstract class Optimizer {
  /** Multiplies every group's base lr (set by a schedule each iteration). */
  lrFactor = 1;
  protected stepCount = 0;
  protected readonly state = new Map<Tensor, Tensor[]>();

  constructor(readonly groups: ParamGroup[]) {
    for (const g of groups) {
      for (const p of g.params) {
        if (p.dtype !== 'f32' || !p.isContiguous || p.offset !== 0) throw new Error(`optimiser: parameter ${p} must be a contiguous f32 tensor`);
      }
    }
  }

  get steps(): number {
    return this.stepCount;
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    // The update kernels read p.size elements of a gradient's buffer from its start: check them
    // all before anything is updated.
    for (const group of this.groups) {
      for (const p of group.params) {
        const g = p.grad;
        if (g && (g.dtype !== 'f32' || !sameShape(g.shape, p.shape) || !g.isContiguous || g.offset !== 0)) {
          throw new Error(`optimiser: the gradient of ${p} in group ${group.name} is ${g.dtype} ${fmtShape(g.shape)}${g.isContiguous && g.offset === 0 ? '' : ' (a strided view)'}, not a contiguous f32 ${fmtShape(p.shape)}`);
        }
      }
    }
    this.stepCount++;
    for (const group of this.groups) {
      const items = group.params.filter((p) => p.grad).map((p) => ({ p, g: p.grad!, state: this.stateOf(p) }));
      this.updateGroup(items, group.lr * this.lrFactor, group.weightDecay ?? 0);
    }
  }

  /** Updates the parameters of one group that have a gradient (one launch each unless overridden). */
  protected updateGroup(items: readonly ParamUpdate[], lr: number, wd: number): void {
    for (const { p, g, state } of items) this.update(p, g, lr, wd, state);
  }

  /** Disposes every gradient (their buffers return to the pool for the next backward). */
  zeroGrad(): void {
    for (const g of this.groups) {
      for (const p of g.params) {
        p.grad?.dispose();
        p.grad = null;
      }
    }
  }

  private stateOf(p: Tensor): Tensor[] {
    let s = this.state.get(p);
    if (!s) {
      s = Array.from({ length: this.stateSlots }, () => zeros(p.shape).keep());
      this.state.set(p, s);
    }
    return s;
  }

  /** State tensors in parameter order (for checkpoints), created on demand. */
  stateTensors(): { param: Tensor; slots: Tensor[] }[] {
    return this.groups.flatMap((g) => g.params.map((param) => ({ param, slots: this.stateOf(param) })));
  }

  setSteps(n: number): void {
    this.stepCount = n;
  }

  dispose(): void {
    for (const s of this.state.values()) for (const t of s) t.dispose();
    this.state.clear();
  }

  protected abstract readonly stateSlots: number;
  protected abstract update(p: Tensor, g: Tensor, lr: number, wd: number, state: Tensor[]): void;
}

export class SGD extends Optimizer {
  protected readonly stateSlots = 1;
  constructor(
    groups: ParamGroup[],
    readonly momentum = 0.9,
  ) {
    super(groups);
  }
  protected update(p: Tensor, g: Tensor, lr: number, wd: number, [m]: Tensor[]): void {
    run(sgdLaunch(p.size, lr, this.momentum, wd), { p, g, m });
  }
}

export class AdamW extends Optimizer {
  protected readonly stateSlots = 2;
  constructor(
    groups: ParamGroup[],
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-8,
  ) {
    super(groups);
  }
  private hyper(lr: number, wd: number): AdamWHyper {
    return { lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: wd, step: this.stepCount };
  }
  protected update(p: Tensor, g: Tensor, lr: number, wd: number, [m, v]: Tensor[]): void {
    run(adamwLaunch(p.size, this.hyper(lr, wd)), { p, g, m, v });
  }
  /**
   * Up to 8 tensors per dispatch (4 storage buffers each, within the adapter's per-stage limit),
   * taken in order of size so a dispatch's rows are of similar length; every element gets the same
   * arithmetic as alone, so the result is the same bits in any grouping.
   */
  protected override updateGroup(items: readonly ParamUpdate[], lr: number, wd: number): void {
    const per = Math.min(8, Math.floor(engine().device.limits.maxStorageBuffersPerShaderStage / 4));
    const fit = items.filter(({ p }) => p.size <= ADAMW_GROUP_MAX_ELEMENTS).sort((a, b) => a.p.size - b.p.size);
    const alone = items.filter(({ p }) => p.size > ADAMW_GROUP_MAX_ELEMENTS);
    for (let at = 0; at < fit.length; at += per) {
      const chunk = fit.slice(at, at + per);
      if (chunk.length < 2) {
        alone.push(...chunk);
        continue;
      }
      const bound: Record<string, Tensor> = {};
      chunk.forEach(({ p, g, state: [m, v] }, k) => Object.assign(bound, { [`p${k}`]: p, [`g${k}`]: g, [`m${k}`]: m, [`v${k}`]: v }));
      run(adamwGroupLaunch(chunk.map(({ p }) => p.size), this.hyper(lr, wd)), bound);
    }
    for (const { p, g, state } of alone) this.update(p, g, lr, wd, state);
  }
}
