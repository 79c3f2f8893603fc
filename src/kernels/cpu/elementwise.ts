// CPU reference of the elementwise family (kernels/elementwise.wgsl.ts) and its backward rules.
import { broadcastIndex, broadcastShape, nd, sumToRef, type Nd } from './nd.js';

type F1 = (a: number, p0: number, p1: number) => number;
type F2 = (a: number, b: number) => number;

const sigmoid = (a: number) => 1 / (1 + Math.exp(-a));
const powScalar = (a: number, p: number) => {
  const m = Math.abs(a) ** p;
  return Number.isInteger(p) && p % 2 !== 0 ? Math.sign(a) * m : m;
};

/** value and derivative d/da of each differentiable unary op. */
export const UNARY_REF: Record<string, { f: F1; df?: F1 }> = {
  neg: { f: (a) => -a, df: () => -1 },
  relu: { f: (a) => Math.max(a, 0), df: (a) => (a > 0 ? 1 : 0) },
  exp: { f: Math.exp, df: Math.exp },
  log: { f: Math.log, df: (a) => 1 / a },
  sqrt: { f: Math.sqrt, df: (a) => 0.5 / Math.sqrt(a) },
  rsqrt: { f: (a) => 1 / Math.sqrt(a), df: (a) => -0.5 * a ** -1.5 },
  abs: { f: Math.abs, df: (a) => Math.sign(a) },
  square: { f: (a) => a * a, df: (a) => 2 * a },
  sigmoid: { f: sigmoid, df: (a) => sigmoid(a) * (1 - sigmoid(a)) },
  tanh: { f: Math.tanh, df: (a) => 1 - Math.tanh(a) ** 2 },
  pow_scalar: { f: (a, p) => powScalar(a, p), df: (a, p) => p * powScalar(a, p - 1) },
  clamp: { f: (a, lo, hi) => Math.min(Math.max(a, lo), hi), df: (a, lo, hi) => (a >= lo && a <= hi ? 1 : 0) },
  affine: { f: (a, s, t) => a * s + t, df: (_a, s) => s },
};

/** value and partial derivatives of each binary op. */
export const BINARY_REF: Record<string, { f: F2; da?: F2; db?: F2 }> = {
  add: { f: (a, b) => a + b, da: () => 1, db: () => 1 },
  sub: { f: (a, b) => a - b, da: () => 1, db: () => -1 },
  mul: { f: (a, b) => a * b, da: (_a, b) => b, db: (a) => a },
  div: { f: (a, b) => a / b, da: (_a, b) => 1 / b, db: (a, b) => -a / (b * b) },
  pow: { f: (a, b) => a ** b, da: (a, b) => b * a ** (b - 1), db: (a, b) => a ** b * Math.log(a) },
  maximum: { f: Math.max, da: (a, b) => (a >= b ? 1 : 0), db: (a, b) => (a >= b ? 0 : 1) },
  minimum: { f: Math.min, da: (a, b) => (a <= b ? 1 : 0), db: (a, b) => (a <= b ? 0 : 1) },
  gt: { f: (a, b) => (a > b ? 1 : 0) },
  lt: { f: (a, b) => (a < b ? 1 : 0) },
  ge: { f: (a, b) => (a >= b ? 1 : 0) },
  eq: { f: (a, b) => (a === b ? 1 : 0) },
};

export function unaryRef(op: string, x: Nd, p0 = 0, p1 = 0): Nd {
  const out = nd(x.shape);
  const f = UNARY_REF[op].f;
  for (let i = 0; i < x.data.length; i++) out.data[i] = f(x.data[i], p0, p1);
  return out;
}

export function unaryGradRef(op: string, x: Nd, g: Nd, p0 = 0, p1 = 0): Nd {
  const out = nd(x.shape);
  const df = UNARY_REF[op].df!;
  for (let i = 0; i < x.data.length; i++) out.data[i] = g.data[i] * df(x.data[i], p0, p1);
  return out;
}

export function binaryRef(op: string, a: Nd, b: Nd): Nd {
  const shape = broadcastShape(a.shape, b.shape);
  const out = nd(shape);
  const f = BINARY_REF[op].f;
  for (let i = 0; i < out.data.length; i++) {
    out.data[i] = f(a.data[broadcastIndex(a.shape, shape, i)], b.data[broadcastIndex(b.shape, shape, i)]);
  }
  return out;
}

export function binaryGradRef(op: string, a: Nd, b: Nd, g: Nd): [Nd, Nd] {
  const shape = g.shape;
  const ga = nd(shape);
  const gb = nd(shape);
  const { da, db } = BINARY_REF[op];
  for (let i = 0; i < g.data.length; i++) {
    const x = a.data[broadcastIndex(a.shape, shape, i)];
    const y = b.data[broadcastIndex(b.shape, shape, i)];
    ga.data[i] = g.data[i] * da!(x, y);
    gb.data[i] = g.data[i] * db!(x, y);
  }
  return [sumToRef(ga, a.shape), sumToRef(gb, b.shape)];
}

export function whereRef(c: Nd, a: Nd, b: Nd): Nd {
  const shape = broadcastShape(broadcastShape(c.shape, a.shape), b.shape);
  const out = nd(shape);
  for (let i = 0; i < out.data.length; i++) {
    const ci = c.data[broadcastIndex(c.shape, shape, i)];
    out.data[i] = ci !== 0 ? a.data[broadcastIndex(a.shape, shape, i)] : b.data[broadcastIndex(b.shape, shape, i)];
  }
  return out;
}

export function whereGradRef(c: Nd, a: Nd, b: Nd, g: Nd): [Nd, Nd] {
  const ga = nd(g.shape);
  const gb = nd(g.shape);
  for (let i = 0; i < g.data.length; i++) {
    if (c.data[broadcastIndex(c.shape, g.shape, i)] !== 0) ga.data[i] = g.data[i];
    else gb.data[i] = g.data[i];
  }
  return [sumToRef(ga, a.shape), sumToRef(gb, b.shape)];
}
