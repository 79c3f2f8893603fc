// In-place optimiser updates. Parameter and state buffers are bound once as read_write (WebGPU
// forbids binding one buffer as both input and output of a dispatch).
//   SGD:   m = mu m + (g + wd p);  p -= lr m                    (nesterov off, as PyTorch's default)
//   AdamW: m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
//          p = p (1 - lr wd) - lr (m / bc1) / (sqrt(v / bc2) + eps)   (Loshchilov & Hutter, Alg. 2)
import { ENTRY_PARAMS, grid1d, linearIndex, type Launch } from './kernel.js';
import { declared, launchOf, signature } from './signature.js';

const WG = 256;
const all = (u: { n: number }): number => u.n;

const SGD = signature(
  'sgd_momentum',
  { n: 'u32', lr: 'f32', momentum: 'f32', wd: 'f32' },
  {
    p: { type: 'f32', access: 'read_write', len: all },
    g: { type: 'f32', access: 'read', len: all },
    m: { type: 'f32', access: 'read_write', len: all },
  },
);
const sgd = () => declared('sgd_momentum', SGD, () => `
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(WG)};
  if (i >= u.n) { return; }
  let d = g[i] + u.wd * p[i];
  let mi = u.momentum * m[i] + d;
  m[i] = mi;
  p[i] = p[i] - u.lr * mi;
}`);

const ADAMW = signature(
  'adamw',
  { n: 'u32', lr: 'f32', b1: 'f32', b2: 'f32', eps: 'f32', wd: 'f32', bc1: 'f32', bc2: 'f32' },
  { ...SGD.bindings, v: { type: 'f32', access: 'read_write', len: all } },
);
const adamw = () => declared('adamw', ADAMW, () => `
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(WG)};
  if (i >= u.n) { return; }
  let gi = g[i];
  let mi = u.b1 * m[i] + (1.0 - u.b1) * gi;
  let vi = u.b2 * v[i] + (1.0 - u.b2) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  p[i] = p[i] * (1.0 - u.lr * u.wd) - u.lr * (mi / u.bc1) / (sqrt(vi / u.bc2) + u.eps);
}`);

export function sgdLaunch(n: number, lr: number, momentum: number, wd: number): Launch<'p' | 'g' | 'm'> {
  return launchOf(sgd(), { n, lr, momentum, wd }, grid1d(Math.ceil(n / WG)));
}

export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Step number, from 1. */
  step: number;
}

export function adamwLaunch(n: number, h: AdamWHyper): Launch<'p' | 'g' | 'm' | 'v'> {
  const bc1 = 1 - h.beta1 ** h.step;
  const bc2 = 1 - h.beta2 ** h.step;
  const hyper = { lr: h.lr, b1: h.beta1, b2: h.beta2, eps: h.eps, wd: h.weightDecay, bc1, bc2 };
  return launchOf(adamw(), { n, ...hyper }, grid1d(Math.ceil(n / WG)));
}
