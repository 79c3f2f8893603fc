// Views and copies: reshape, permute, slice and expand change metadata only; contiguous, copyInto,
// concat, fill and cast run the strided map kernel. Backward rules sit beside each op.
import { UNARY, mapBindings, mapLaunch } from '../../kernels/elementwise.wgsl.js';
import { noGrad, record } from '../autograd.js';
import { Tensor, checkShape, contiguousStrides, sizeOf, type DType, type Shape } from '../tensor.js';
import { axisOf, fmtShape, operand, run, sameShape } from './run.js';

const IDENTITY = { name: 'identity', expr: UNARY.identity };

/** Writes `src` into `dst` (which may be a strided view, e.g. a slice of a larger tensor). */
export function copyInto(dst: Tensor, src: Tensor): void {
  if (!sameShape(dst.shape, src.shape)) throw new Error(`copyInto: shapes ${fmtShape(dst.shape)} and ${fmtShape(src.shape)} differ`);
  if (dst.dtype !== src.dtype) throw new Error(`copyInto: dtypes ${dst.dtype} and ${src.dtype} differ`);
  run(mapLaunch(IDENTITY, dst.shape, [operand(src)], operand(dst), [0, 0], dst.dtype), mapBindings([src], dst));
}

/** A row-major copy at offset 0, or a new view when `x` already is one. */
export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous && x.offset === 0) return record(x.view(x.shape, x.strides, 0), 'contiguous', [x], (g) => [g]);
  const out = Tensor.empty(x.shape, x.dtype);
  copyInto(out, x);
  return record(out, 'contiguous', [x], (g) => [g]);
}

/**
 * `x` as a kernel operand: row-major from offset 0 and owned by the caller, who disposes it after
 * the dispatch (a new view when `x` already is dense, else a copy). Not recorded on the tape: the
 * op that calls it records its own backward against `x`.
 */
export function dense(x: Tensor): Tensor {
  if (x.isContiguous && x.offset === 0) return x.view(x.shape, x.strides, 0);
  return noGrad(() => contiguous(x));
}

export function fill(shape: Shape, value: number, dtype: DType = 'f32'): Tensor {
  const out = Tensor.empty(shape, dtype);
  fillInto(out, value);
  return out;
}

/** Writes `value` into every element of `out` (which may be a strided view). */
export function fillInto(out: Tensor, value: number): void {
  run(mapLaunch({ name: 'fill', expr: UNARY.fill }, out.shape, [], operand(out), [value, 0], out.dtype), mapBindings([], out));
}
export const zeros = (shape: Shape, dtype: DType = 'f32'): Tensor => fill(shape, 0, dtype);
export const ones = (shape: Shape, dtype: DType = 'f32'): Tensor => fill(shape, 1, dtype);

/** Converts between element types (f32 -> i32 truncates toward zero). Not differentiable. */
export function cast(x: Tensor, dtype: DType): Tensor {
  const out = Tensor.empty(x.shape, dtype);
  run(mapLaunch({ name: 'cast', expr: 'a' }, x.shape, [operand(x)], operand(out), [0, 0], dtype, x.dtype), mapBindings([x], out));
  return out;
}

export function reshape(x: Tensor, shape: Shape): Tensor {
  const resolved = [...shape];
  const infer = resolved.indexOf(-1);
  if (infer >= 0) resolved[infer] = x.size / -sizeOf(resolved);
  checkShape(resolved, 'reshape target');
  if (sizeOf(resolved) !== x.size) throw new Error(`reshape: cannot view ${fmtShape(x.shape)} as ${fmtShape(shape)}`);
  const src = x.isContiguous ? x : contiguous(x);
  const out = src.view(resolved, contiguousStrides(resolved), src.offset);
  if (src !== x) src.dispose();
  return record(out, 'reshape', [x], (g) => [reshape(g, x.shape)]);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.rank || new Set(dims).size !== x.rank || dims.some((d) => d < 0 || d >= x.rank)) {
    throw new Error(`permute: [${dims.join(', ')}] is not a permutation of ${x.rank} axes`);
  }
  const out = x.view(
    dims.map((d) => x.shape[d]),
    dims.map((d) => x.strides[d]),
    x.offset,
  );
  const inverse = new Array<number>(dims.length);
  dims.forEach((d, i) => (inverse[d] = i));
  return record(out, 'permute', [x], (g) => [permute(g, inverse)]);
}

export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const dims = [...Array(x.rank).keys()];
  const i = axisOf(a, x.rank, 'transpose');
  const j = axisOf(b, x.rank, 'transpose');
  [dims[i], dims[j]] = [dims[j], dims[i]];
  return permute(x, dims);
}

/** `x[start:end]` along `axis` (a view). */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const ax = axisOf(axis, x.rank, 'slice');
  if (!(0 <= start && start <= end && end <= x.shape[ax])) {
    throw new Error(`slice: [${start}, ${end}) out of range for axis ${ax} of ${fmtShape(x.shape)}`);
  }
  const shape = [...x.shape];
  shape[ax] = end - start;
  const out = x.view(shape, x.strides, x.offset + start * x.strides[ax]);
  return record(out, 'slice', [x], (g) => {
    const gx = zeros(x.shape);
    copyInto(slice(gx, ax, start, end), g);
    return [gx];
  });
}

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error('concat: no tensors');
  const ax = axisOf(axis, xs[0].rank, 'concat');
  const shape = [...xs[0].shape];
  shape[ax] = 0;
  for (const t of xs) {
    if (t.rank !== shape.length || t.shape.some((d, i) => i !== ax && d !== xs[0].shape[i])) {
      throw new Error(`concat: ${fmtShape(t.shape)} does not match ${fmtShape(xs[0].shape)} outside axis ${ax}`);
    }
    shape[ax] += t.shape[ax];
  }
  const out = Tensor.empty(shape, xs[0].dtype);
  const starts: number[] = [];
  let at = 0;
  for (const t of xs) {
    starts.push(at);
    const region = out.view(t.shape, out.strides, at * out.strides[ax]);
    copyInto(region, t);
    region.dispose();
    at += t.shape[ax];
  }
  return record(out, 'concat', xs, (g) => xs.map((t, i) => slice(g, ax, starts[i], starts[i] + t.shape[ax])));
}

/**
 * A concatenation along `axis` written by its producers: `produce[i](into)` receives the view of
 * part i inside the one output buffer and returns the part, which ops that can write to a view
 * (relu, expand) write there directly, so no copy pass follows; any other tensor returned is
 * copied in. Same result and backward (slices of the gradient) as concat.
 */
export function concatBy(shapes: readonly Shape[], axis: number, produce: readonly ((into: Tensor) => Tensor)[]): Tensor {
  if (shapes.length === 0 || shapes.length !== produce.length) throw new Error('concatBy: one producer per part shape, at least one');
  const ax = axisOf(axis, shapes[0].length, 'concatBy');
  const shape = [...shapes[0]];
  shape[ax] = shapes.reduce((a, s) => a + s[ax], 0);
  const out = Tensor.empty(shape);
  const starts: number[] = [];
  const parts: Tensor[] = [];
  let at = 0;
  for (const [i, s] of shapes.entries()) {
    starts.push(at);
    const region = out.view(s, out.strides, at * out.strides[ax]);
    const part = produce[i](region);
    if (!sameShape(part.shape, s)) {
      region.dispose();
      out.dispose();
      throw new Error(`concatBy: part ${i} is ${fmtShape(part.shape)}, expected ${fmtShape(s)}`);
    }
    const inPlace = part.sharesStorageWith(region) && part.offset === region.offset && part.strides.every((d, k) => d === region.strides[k]);
    if (!inPlace) noGrad(() => copyInto(region, part));
    region.dispose();
    parts.push(part);
    at += s[ax];
  }
  return record(out, 'concat', parts, (g) => parts.map((t, i) => slice(g, ax, starts[i], starts[i] + t.shape[ax])));
}

export function split(x: Tensor, sizes: readonly number[], axis: number): Tensor[] {
  const ax = axisOf(axis, x.rank, 'split');
  if (sizes.reduce((a, b) => a + b, 0) !== x.shape[ax]) {
    throw new Error(`split: sizes [${sizes.join(', ')}] do not add up to ${x.shape[ax]} (axis ${ax} of ${fmtShape(x.shape)})`);
  }
  let at = 0;
  return sizes.map((s) => {
    const t = slice(x, ax, at, at + s);
    at += s;
    return t;
  });
}

/**
 * Broadcast view of `x` to `shape` (stride 0 along broadcast axes). Not recorded: the ops that
 * broadcast record their own rules and fold gradients back with `sumTo` (reduce.ts).
 */
export function broadcastView(x: Tensor, shape: Shape): Tensor {
  const lead = shape.length - x.rank;
  if (lead < 0) throw new Error(`cannot broadcast ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
  const strides = shape.map((d, i) => {
    if (i < lead) return 0;
    const xd = x.shape[i - lead];
    if (xd === d) return x.strides[i - lead];
    if (xd === 1) return 0;
    throw new Error(`cannot broadcast ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
  });
  return x.view(shape, strides, x.offset);
}

export function broadcastShapes(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast`);
    out[i] = x === 1 ? y : x;
  }
  return out;
}
