// CPU reference of reductions over any axes (kernels/reduce.wgsl.ts) and their gradients.
import { nd, stridesOf, type Nd } from './nd.js';

export type ReduceRefOp = 'sum' | 'mean' | 'max' | 'min' | 'argmax';

function outIndex(shape: readonly number[], axes: readonly number[], i: number): number {
  let rem = i;
  let idx = 0;
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const c = rem % shape[d];
    rem = Math.floor(rem / shape[d]);
    if (!axes.includes(d)) {
      idx += c * stride;
      stride *= shape[d];
    }
  }
  return idx;
}

export function reduceRef(op: ReduceRefOp, x: Nd, axes: readonly number[]): Nd {
  const outShape = x.shape.filter((_, d) => !axes.includes(d));
  const out = nd(outShape);
  const init = op === 'max' || op === 'argmax' ? -Infinity : op === 'min' ? Infinity : 0;
  out.data.fill(init);
  const best = new Float64Array(out.data.length).fill(-Infinity);
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  const axisStride = op === 'argmax' ? stridesOf(x.shape)[axes[0]] : 1;
  for (let i = 0; i < x.data.length; i++) {
    const o = outIndex(x.shape, axes, i);
    const v = x.data[i];
    if (op === 'sum' || op === 'mean') out.data[o] += v;
    else if (op === 'max') out.data[o] = Math.max(out.data[o], v);
    else if (op === 'min') out.data[o] = Math.min(out.data[o], v);
    else if (v > best[o]) {
      best[o] = v;
      out.data[o] = Math.floor(i / axisStride) % x.shape[axes[0]];
    }
  }
  if (op === 'mean') for (let i = 0; i < out.data.length; i++) out.data[i] /= count;
  return out;
}

/** Gradient of sum/mean/max/min (ties share equally) w.r.t. x given g of the reduced shape. */
export function reduceGradRef(op: Exclude<ReduceRefOp, 'argmax'>, x: Nd, axes: readonly number[], g: Nd): Nd {
  const out = nd(x.shape);
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  if (op === 'sum' || op === 'mean') {
    for (let i = 0; i < x.data.length; i++) out.data[i] = g.data[outIndex(x.shape, axes, i)] / (op === 'mean' ? count : 1);
    return out;
  }
  const r = reduceRef(op, x, axes);
  const ties = new Float64Array(r.data.length);
  for (let i = 0; i < x.data.length; i++) if (x.data[i] === r.data[outIndex(x.shape, axes, i)]) ties[outIndex(x.shape, axes, i)]++;
  for (let i = 0; i < x.data.length; i++) {
    const o = outIndex(x.shape, axes, i);
    if (x.data[i] === r.data[o]) out.data[i] = g.data[o] / ties[o];
  }
  return out;
}
