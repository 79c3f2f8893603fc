// Reductions over any axes (sum, mean, max, min, argmax) and `sumTo`, which folds a broadcast
// gradient back to an input's shape.
import { chooseChunk, reduceLaunch, type ReduceOp } from '../../kernels/reduce.wgsl.js';
import { record } from '../autograd.js';
import { Tensor, contiguousStrides, sizeOf, type Shape } from '../tensor.js';
import { axisOf, fmtShape, mapRaw, run } from './run.js';
import { broadcastView, copyInto } from './shape.js';

function normaliseAxes(axes: number | readonly number[] | undefined, rank: number, op: string): number[] {
  if (axes === undefined) return [...Array(rank).keys()];
  const list = typeof axes === 'number' ? [axes] : axes;
  return [...new Set(list.map((a) => axisOf(a, rank, op)))].sort((a, b) => a - b);
}

/** A contiguous tensor holding x's elements in the order of `dims` (x itself when already so). */
function materialise(x: Tensor, dims: readonly number[]): Tensor {
  const shape = dims.map((d) => x.shape[d]);
  const strides = dims.map((d) => x.strides[d]);
  const c = contiguousStrides(shape);
  if (x.offset === 0 && shape.every((d, i) => d === 1 || strides[i] === c[i])) return x.view(shape, c, 0);
  const out = Tensor.empty(shape, x.dtype);
  const v = x.view(shape, strides, x.offset);
  copyInto(out, v);
  v.dispose();
  return out;
}

function reduceRaw(op: ReduceOp, x: Tensor, axes: readonly number[], scale: number): Tensor {
  const kept = [...Array(x.rank).keys()].filter((d) => !axes.includes(d));
  const adjacent = axes.length > 0 && axes[axes.length - 1] - axes[0] === axes.length - 1;
  const order = adjacent ? [...Array(x.rank).keys()] : [...kept, ...axes];
  const src = materialise(x, order);
  const first = adjacent ? axes[0] : kept.length;
  const last = first + axes.length;
  const outer = sizeOf(src.shape.slice(0, first));
  const k = sizeOf(src.shape.slice(first, last));
  const inner = sizeOf(src.shape.slice(last));
  const outShape = kept.map((d) => x.shape[d]);
  const outDtype = op === 'argmax' ? 'i32' : 'f32';
  const chunk = op === 'argmax' ? k : chooseChunk(outer * inner, k);
  let result: Tensor;
  if (chunk >= k) {
    result = Tensor.empty(outShape, outDtype);
    run(reduceLaunch(op, outer, k, inner, k, scale), { x: src, out: result });
  } else {
    const launch1 = reduceLaunch(op, outer, k, inner, chunk);
    const chunks = Math.ceil(k / chunk);
    const partial = Tensor.empty([outer, chunks, inner]);
    run(launch1, { x: src, out: partial });
    result = Tensor.empty(outShape, outDtype);
    run(reduceLaunch(op, outer, chunks, inner, chunks, scale), { x: partial, out: result });
    partial.dispose();
  }
  src.dispose();
  return result;
}

function keepShape(shape: Shape, axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** g (reduced shape) broadcast back over the reduced axes of `shape`, as a contiguous tensor. */
function expandBack(g: Tensor, shape: Shape, axes: readonly number[]): Tensor {
  const ks = keepShape(shape, axes);
  const src = materialise(g, [...Array(g.rank).keys()]);
  const kept = src.view(ks, contiguousStrides(ks), 0);
  const wide = broadcastView(kept, shape);
  const out = Tensor.empty(shape);
  copyInto(out, wide);
  for (const t of [wide, kept, src]) t.dispose();
  return out;
}

function finish(result: Tensor, shape: Shape, axes: readonly number[], keepDims: boolean): Tensor {
  if (!keepDims) return result;
  const ks = keepShape(shape, axes);
  const v = result.view(ks, contiguousStrides(ks), 0);
  result.dispose();
  return v;
}

export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = normaliseAxes(axes, x.rank, 'sum');
  const out = finish(reduceRaw('sum', x, ax, 1), x.shape, ax, keepDims);
  return record(out, 'sum', [x], (g) => [expandBack(g, x.shape, ax)]);
}

export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = normaliseAxes(axes, x.rank, 'mean');
  const count = ax.reduce((n, a) => n * x.shape[a], 1);
  const out = finish(reduceRaw('sum', x, ax, 1 / count), x.shape, ax, keepDims);
  return record(out, 'mean', [x], (g) => [mapRaw('affine', [expandBack(g, x.shape, ax)], x.shape, [1 / count, 0])]);
}

function extremum(op: 'max' | 'min', x: Tensor, axes: number | readonly number[] | undefined, keepDims: boolean): Tensor {
  const ax = normaliseAxes(axes, x.rank, op);
  const out = finish(reduceRaw(op, x, ax, 1), x.shape, ax, keepDims);
  // Ties share the gradient equally, as PyTorch's amax/amin do.
  return record(
    out,
    op,
    [x],
    (g) => {
      const m = expandBack(out, x.shape, ax);
      const mask = mapRaw('eq', [x, m], x.shape);
      const countR = reduceRaw('sum', mask, ax, 1);
      const count = expandBack(countR, x.shape, ax);
      const ge = expandBack(g, x.shape, ax);
      const share = mapRaw('div', [mask, count], x.shape);
      return [mapRaw('mul', [ge, share], x.shape)];
    },
    [x, out],
  );
}

export const max = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => extremum('max', x, axes, keepDims);
export const min = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => extremum('min', x, axes, keepDims);

/** Index (i32) of the first maximum along `axis`. Not differentiable. */
export function argmax(x: Tensor, axis: number, keepDims = false): Tensor {
  const ax = [axisOf(axis, x.rank, 'argmax')];
  return finish(reduceRaw('argmax', x, ax, 1), x.shape, ax, keepDims);
}

/** Sums `g` over the axes along which `shape` was broadcast to g's shape. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (g.rank === shape.length && g.shape.every((d, i) => d === shape[i])) return g.view(g.shape, g.strides, g.offset);
  const lead = g.rank - shape.length;
  if (lead < 0) throw new Error(`sumTo: cannot reduce ${fmtShape(g.shape)} to ${fmtShape(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const r = reduceRaw('sum', g, axes, 1);
  const v = r.view([...shape], contiguousStrides(shape), 0);
  r.dispose();
  return v;
}
