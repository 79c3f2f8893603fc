// Elementwise ops with NumPy broadcasting. Their derivatives are one table, GRADIENTS: one rule
// per primitive of the forward table (kernels/elementwise.wgsl.ts), as tinygrad's gradient.py. A
// rule gives the local gradient of each input in the output's shape, built from the same map
// primitives; the op records it and folds each gradient back to its input's shape with `sumTo`.
import type { BinaryOp, TernaryOp, UnaryOp } from '../../kernels/elementwise.wgsl.js';
import { record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { sumTo } from './reduce.js';
import { fmtShape, mapRaw } from './run.js';
import { broadcastShapes, broadcastView, fill } from './shape.js';

export type MapOp = UnaryOp | BinaryOp | TernaryOp;
type Params = [number, number];

function checkF32(op: string, ...ts: Tensor[]): void {
  for (const t of ts) if (t.dtype !== 'f32') throw new Error(`${op}: expects f32 tensors, got ${t.dtype} ${fmtShape(t.shape)}`);
}

/** Runs a map over broadcast views of the inputs. */
function mapBroadcast(op: MapOp, inputs: readonly Tensor[], params: Params = [0, 0]): Tensor {
  let shape: number[] = [];
  for (const t of inputs) shape = broadcastShapes(shape, t.shape);
  const views = inputs.map((t) => broadcastView(t, shape));
  const out = mapRaw(op, views, shape, params);
  for (const v of views) v.dispose();
  return out;
}

// ---- the gradient table ------------------------------------------------------------------

/**
 * The local gradient of each input (in the output's shape) given the output's gradient `g`, the
 * inputs, the output `y` and the op's scalar parameters; null for an input with none. Rules run
 * inside the tape's `tidy`, so their temporaries need no disposing.
 */
type Rule = (g: Tensor, x: readonly Tensor[], y: Tensor, p: Params) => readonly (Tensor | null)[];

const m = mapBroadcast;

/** Every forward primitive, with its rule or null (comparisons, masks and backward helpers). */
export const GRADIENTS: { readonly [K in MapOp]: Rule | null } = {
  // unary
  identity: null,
  neg: (g) => [m('neg', [g])],
  relu: (g, _x, y) => [m('relu_grad', [g, y])],
  exp: (g, _x, y) => [m('mul', [g, y])],
  log: (g, [x]) => [m('div', [g, x])],
  sqrt: (g, _x, y) => [m('affine', [m('div', [g, y])], [0.5, 0])],
  // d/dx x^-1/2 = -1/2 y^3
  rsqrt: (g, _x, y) => [m('affine', [m('mul', [g, m('pow_scalar', [y], [3, 0])])], [-0.5, 0])],
  abs: (g, [x]) => [m('mul', [g, m('sign', [x])])],
  sign: null,
  square: (g, [x]) => [m('affine', [m('mul', [g, x])], [2, 0])],
  reciprocal: null,
  sigmoid: (g, _x, y) => [m('mul', [g, m('mul', [y, m('affine', [y], [-1, 1])])])],
  tanh: (g, _x, y) => [m('mul', [g, m('affine', [m('square', [y])], [-1, 1])])],
  pow_scalar: (g, [x], _y, [p]) => [m('mul', [g, m('affine', [m('pow_scalar', [x], [p - 1, 0])], [p, 0])])],
  clamp: (g, [x], _y, [lo, hi]) => [m('mul', [g, m('in_range', [x], [lo, hi])])],
  affine: (g, _x, _y, [scale]) => [m('affine', [g], [scale, 0])],
  fill: null,
  gt_scalar: null,
  in_range: null,
  // binary
  add: (g) => [g, g],
  sub: (g) => [g, m('neg', [g])],
  mul: (g, [a, b]) => [m('mul', [g, b]), m('mul', [g, a])],
  // d(a/b)/db = -y / b
  div: (g, [, b], y) => [m('mul', [g, m('reciprocal', [b])]), m('mul', [g, m('neg', [m('div', [y, b])])])],
  // d/da = b a^(b-1) = b y / a ; d/db = y ln a
  pow: (g, [a, b], y) => [m('mul', [g, m('mul', [m('div', [y, a]), b])]), m('mul', [g, m('mul', [y, m('log', [a])])])],
  // The gradient goes to the winner; ties go to `a`.
  maximum: (g, [a, b]) => winner(g, m('ge', [a, b])),
  minimum: (g, [a, b]) => winner(g, m('ge', [b, a])),
  gt: null,
  lt: null,
  ge: null,
  eq: null,
  relu_grad: null,
  axpy: null,
  // ternary: no gradient for the condition
  where: (g, [cond]) => {
    const zero = fill([1], 0);
    return [null, m('where', [cond, g, zero]), m('where', [cond, zero, g])];
  },
};

function winner(g: Tensor, winA: Tensor): [Tensor, Tensor] {
  return [m('mul', [g, winA]), m('mul', [g, m('affine', [winA], [-1, 1])])];
}

/** Records `out = op(inputs)` with the table's rule, each gradient folded to its input's shape. */
function recordMap(op: MapOp, inputs: Tensor[], out: Tensor, p: Params): Tensor {
  const rule = GRADIENTS[op];
  if (!rule) return out;
  return record(out, op, inputs, (g) => rule(g, inputs, out, p).map((gi, k) => gi && sumTo(gi, inputs[k].shape)), [...inputs, out]);
}

// ---- unary -------------------------------------------------------------------------------

function unary(op: UnaryOp, x: Tensor, params: Params = [0, 0], into?: Tensor): Tensor {
  checkF32(op, x);
  if (into && (into.dtype !== 'f32' || into.shape.length !== x.shape.length || into.shape.some((d, i) => d !== x.shape[i]))) {
    throw new Error(`${op}: destination ${fmtShape(into.shape)} does not match ${fmtShape(x.shape)}`);
  }
  return recordMap(op, [x], mapRaw(op, [x], x.shape, params, into), params);
}

export const neg = (x: Tensor): Tensor => unary('neg', x);
/** max(x, 0); with `into` (a view of x's shape, e.g. a slice of concatBy) written there in place. */
export const relu = (x: Tensor, into?: Tensor): Tensor => unary('relu', x, [0, 0], into);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
export const abs = (x: Tensor): Tensor => unary('abs', x);
export const square = (x: Tensor): Tensor => unary('square', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
/** x^p for a scalar p (negative x allowed for integer p). */
export const powScalar = (x: Tensor, p: number): Tensor => unary('pow_scalar', x, [p, 0]);
export const clamp = (x: Tensor, lo: number, hi: number): Tensor => unary('clamp', x, [lo, hi]);
/** x * scale + shift. */
export const affine = (x: Tensor, scale: number, shift: number): Tensor => unary('affine', x, [scale, shift]);
export const addScalar = (x: Tensor, s: number): Tensor => affine(x, 1, s);
export const mulScalar = (x: Tensor, s: number): Tensor => affine(x, s, 0);

// ---- binary ------------------------------------------------------------------------------

function binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  checkF32(op, a, b);
  return recordMap(op, [a, b], mapBroadcast(op, [a, b]), [0, 0]);
}

export const add = (a: Tensor, b: Tensor): Tensor => binary('add', a, b);
export const sub = (a: Tensor, b: Tensor): Tensor => binary('sub', a, b);
export const mul = (a: Tensor, b: Tensor): Tensor => binary('mul', a, b);
export const div = (a: Tensor, b: Tensor): Tensor => binary('div', a, b);
export const pow = (a: Tensor, b: Tensor): Tensor => binary('pow', a, b);
export const maximum = (a: Tensor, b: Tensor): Tensor => binary('maximum', a, b);
export const minimum = (a: Tensor, b: Tensor): Tensor => binary('minimum', a, b);

/** 1.0 where the comparison holds, else 0.0 (not differentiable). */
export const gt = (a: Tensor, b: Tensor): Tensor => binary('gt', a, b);
export const lt = (a: Tensor, b: Tensor): Tensor => binary('lt', a, b);
export const ge = (a: Tensor, b: Tensor): Tensor => binary('ge', a, b);
export const eq = (a: Tensor, b: Tensor): Tensor => binary('eq', a, b);

/** cond != 0 ? a : b, broadcasting all three. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  checkF32('where', cond, a, b);
  return recordMap('where', [cond, a, b], mapBroadcast('where', [cond, a, b]), [0, 0]);
}
