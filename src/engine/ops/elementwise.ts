// Elementwise ops with NumPy broadcasting, and their backward rules: each rule returns the
// gradient of every input, folded back to that input's shape with `sumTo`.
import type { BinaryOp, UnaryOp } from '../../kernels/elementwise.wgsl.js';
import { record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { sumTo } from './reduce.js';
import { fmtShape, mapRaw } from './run.js';
import { broadcastShapes, broadcastView, fill } from './shape.js';

function checkF32(op: string, ...ts: Tensor[]): void {
  for (const t of ts) if (t.dtype !== 'f32') throw new Error(`${op}: expects f32 tensors, got ${t.dtype} ${fmtShape(t.shape)}`);
}

/** Runs a map over broadcast views of the inputs. */
function mapBroadcast(op: Parameters<typeof mapRaw>[0], inputs: readonly Tensor[], params: [number, number] = [0, 0]): Tensor {
  let shape: number[] = [];
  for (const t of inputs) shape = broadcastShapes(shape, t.shape);
  const views = inputs.map((t) => broadcastView(t, shape));
  const out = mapRaw(op, views, shape, params);
  for (const v of views) v.dispose();
  return out;
}

function disposeAll(...ts: Tensor[]): void {
  for (const t of ts) t.dispose();
}

/** g * f(saved) folded to `shape`: the common shape of a backward rule. */
function scaleGrad(g: Tensor, factor: Tensor, shape: readonly number[]): Tensor {
  const prod = mapBroadcast('mul', [g, factor]);
  const out = sumTo(prod, shape);
  prod.dispose();
  return out;
}

// ---- unary -------------------------------------------------------------------------------

function unary(op: UnaryOp, x: Tensor, params: [number, number], backward: ((g: Tensor, out: Tensor) => Tensor) | null, into?: Tensor): Tensor {
  checkF32(op, x);
  if (into && (into.dtype !== 'f32' || into.shape.length !== x.shape.length || into.shape.some((d, i) => d !== x.shape[i]))) {
    throw new Error(`${op}: destination ${fmtShape(into.shape)} does not match ${fmtShape(x.shape)}`);
  }
  const out = mapRaw(op, [x], x.shape, params, into);
  if (!backward) return out;
  return record(out, op, [x], (g) => [backward(g, out)], [x, out]);
}

export const neg = (x: Tensor): Tensor => unary('neg', x, [0, 0], (g) => mapRaw('neg', [g], g.shape));
/** max(x, 0); with `into` (a view of x's shape, e.g. a slice of concatBy) written there in place. */
export const relu = (x: Tensor, into?: Tensor): Tensor => unary('relu', x, [0, 0], (g, y) => mapRaw('relu_grad', [g, y], g.shape), into);
export const exp = (x: Tensor): Tensor => unary('exp', x, [0, 0], (g, y) => mapRaw('mul', [g, y], g.shape));
export const log = (x: Tensor): Tensor => unary('log', x, [0, 0], (g) => mapRaw('div', [g, x], g.shape));
export const sqrt = (x: Tensor): Tensor =>
  unary('sqrt', x, [0, 0], (g, y) => {
    const q = mapRaw('div', [g, y], g.shape);
    const out = mapRaw('affine', [q], g.shape, [0.5, 0]);
    q.dispose();
    return out;
  });
export const rsqrt = (x: Tensor): Tensor =>
  unary('rsqrt', x, [0, 0], (g, y) => {
    // d/dx x^-1/2 = -1/2 y^3
    const y3 = mapRaw('pow_scalar', [y], y.shape, [3, 0]);
    const p = mapRaw('mul', [g, y3], g.shape);
    const out = mapRaw('affine', [p], g.shape, [-0.5, 0]);
    disposeAll(y3, p);
    return out;
  });
export const abs = (x: Tensor): Tensor =>
  unary('abs', x, [0, 0], (g) => {
    const s = mapRaw('sign', [x], x.shape);
    const out = mapRaw('mul', [g, s], g.shape);
    s.dispose();
    return out;
  });
export const square = (x: Tensor): Tensor =>
  unary('square', x, [0, 0], (g) => {
    const p = mapRaw('mul', [g, x], g.shape);
    const out = mapRaw('affine', [p], g.shape, [2, 0]);
    p.dispose();
    return out;
  });
export const sigmoid = (x: Tensor): Tensor =>
  unary('sigmoid', x, [0, 0], (g, y) => {
    const one = mapRaw('affine', [y], y.shape, [-1, 1]);
    const d = mapRaw('mul', [y, one], y.shape);
    const out = mapRaw('mul', [g, d], g.shape);
    disposeAll(one, d);
    return out;
  });
export const tanh = (x: Tensor): Tensor =>
  unary('tanh', x, [0, 0], (g, y) => {
    const y2 = mapRaw('square', [y], y.shape);
    const d = mapRaw('affine', [y2], y.shape, [-1, 1]);
    const out = mapRaw('mul', [g, d], g.shape);
    disposeAll(y2, d);
    return out;
  });
/** x^p for a scalar p (negative x allowed for integer p). */
export const powScalar = (x: Tensor, p: number): Tensor =>
  unary('pow_scalar', x, [p, 0], (g) => {
    const d = mapRaw('pow_scalar', [x], x.shape, [p - 1, 0]);
    const s = mapRaw('affine', [d], x.shape, [p, 0]);
    const out = mapRaw('mul', [g, s], g.shape);
    disposeAll(d, s);
    return out;
  });
export const clamp = (x: Tensor, lo: number, hi: number): Tensor =>
  unary('clamp', x, [lo, hi], (g) => {
    const m = mapRaw('in_range', [x], x.shape, [lo, hi]);
    const out = mapRaw('mul', [g, m], g.shape);
    m.dispose();
    return out;
  });
/** x * scale + shift. */
export const affine = (x: Tensor, scale: number, shift: number): Tensor =>
  unary('affine', x, [scale, shift], (g) => mapRaw('affine', [g], g.shape, [scale, 0]));
export const addScalar = (x: Tensor, s: number): Tensor => affine(x, 1, s);
export const mulScalar = (x: Tensor, s: number): Tensor => affine(x, s, 0);

// ---- binary ------------------------------------------------------------------------------

function binary(op: BinaryOp, a: Tensor, b: Tensor, backward: ((g: Tensor, out: Tensor) => [Tensor | null, Tensor | null]) | null): Tensor {
  checkF32(op, a, b);
  const out = mapBroadcast(op, [a, b]);
  if (!backward) return out;
  return record(out, op, [a, b], (g) => backward(g, out), [a, b, out]);
}

export const add = (a: Tensor, b: Tensor): Tensor => binary('add', a, b, (g) => [sumTo(g, a.shape), sumTo(g, b.shape)]);
export const sub = (a: Tensor, b: Tensor): Tensor =>
  binary('sub', a, b, (g) => {
    const n = mapRaw('neg', [g], g.shape);
    const gb = sumTo(n, b.shape);
    n.dispose();
    return [sumTo(g, a.shape), gb];
  });
export const mul = (a: Tensor, b: Tensor): Tensor => binary('mul', a, b, (g) => [scaleGrad(g, b, a.shape), scaleGrad(g, a, b.shape)]);
export const div = (a: Tensor, b: Tensor): Tensor =>
  binary('div', a, b, (g, y) => {
    const inv = mapRaw('reciprocal', [b], b.shape);
    const ga = scaleGrad(g, inv, a.shape);
    // d(a/b)/db = -y / b
    const yb = mapBroadcast('div', [y, b]);
    const nyb = mapRaw('neg', [yb], yb.shape);
    const gb = scaleGrad(g, nyb, b.shape);
    disposeAll(inv, yb, nyb);
    return [ga, gb];
  });
export const pow = (a: Tensor, b: Tensor): Tensor =>
  binary('pow', a, b, (g, y) => {
    // d/da = b a^(b-1) = b y / a ; d/db = y ln a
    const ya = mapBroadcast('div', [y, a]);
    const bya = mapBroadcast('mul', [ya, b]);
    const ga = scaleGrad(g, bya, a.shape);
    const la = mapRaw('log', [a], a.shape);
    const yla = mapBroadcast('mul', [y, la]);
    const gb = scaleGrad(g, yla, b.shape);
    disposeAll(ya, bya, la, yla);
    return [ga, gb];
  });
function minmax(op: 'maximum' | 'minimum', a: Tensor, b: Tensor): Tensor {
  return binary(op, a, b, (g) => {
    // The gradient goes to the winner; ties go to `a`.
    const winA = mapBroadcast('ge', op === 'maximum' ? [a, b] : [b, a]);
    const winB = mapRaw('affine', [winA], winA.shape, [-1, 1]);
    const ga = scaleGrad(g, winA, a.shape);
    const gb = scaleGrad(g, winB, b.shape);
    disposeAll(winA, winB);
    return [ga, gb];
  });
}
export const maximum = (a: Tensor, b: Tensor): Tensor => minmax('maximum', a, b);
export const minimum = (a: Tensor, b: Tensor): Tensor => minmax('minimum', a, b);

/** 1.0 where the comparison holds, else 0.0 (not differentiable). */
export const gt = (a: Tensor, b: Tensor): Tensor => binary('gt', a, b, null);
export const lt = (a: Tensor, b: Tensor): Tensor => binary('lt', a, b, null);
export const ge = (a: Tensor, b: Tensor): Tensor => binary('ge', a, b, null);
export const eq = (a: Tensor, b: Tensor): Tensor => binary('eq', a, b, null);

/** cond != 0 ? a : b, broadcasting all three. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  checkF32('where', cond, a, b);
  const out = mapBroadcast('where', [cond, a, b]);
  return record(
    out,
    'where',
    [a, b],
    (g) => {
      const zero = fill([1], 0);
      const ga = mapBroadcast('where', [cond, g, zero]);
      const gb = mapBroadcast('where', [cond, zero, g]);
      const ra = sumTo(ga, a.shape);
      const rb = sumTo(gb, b.shape);
      disposeAll(zero, ga, gb);
      return [ra, rb];
    },
    [cond],
  );
}
