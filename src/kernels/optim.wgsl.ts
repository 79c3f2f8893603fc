// In-place optimiser updates. Parameter and state buffers are bound once as read_write (WebGPU
// forbids binding one buffer as both input and output of a dispatch).
//   SGD:   m = mu m + (g + wd p);  p -= lr m                    (nesterov off, as PyTorch's default)
//   AdamW: m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
//          p = p (1 - lr wd) - lr (m / bc1) / (sqrt(v / bc2) + eps)   (Loshchilov & Hutter, Alg. 2)
import { ENTRY_PARAMS, grid1d, linearIndex, type Launch } from './kernel.js';
import { declared, launchOf, signature, type BindingDecl, type Scalar, type UniformValues } from './signature.js';

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
/** The AdamW update of element i of the tensor whose buffers end in `k` ('' for the single form). */
const adamwBody = (k: string) => `let gi = g${k}[i];
    let mi = u.b1 * m${k}[i] + (1.0 - u.b1) * gi;
    let vi = u.b2 * v${k}[i] + (1.0 - u.b2) * gi * gi;
    m${k}[i] = mi;
    v${k}[i] = vi;
    p${k}[i] = p${k}[i] * (1.0 - u.lr * u.wd) - u.lr * (mi / u.bc1) / (sqrt(vi / u.bc2) + u.eps);`;
const adamw = () => declared('adamw', ADAMW, () => `
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(WG)};
  if (i >= u.n) { return; }
  ${adamwBody('')}
}`);

// Several tensors of one parameter group in one dispatch: most of a model's parameters are small
// (the tiny preset's median has 32 elements), so one dispatch per tensor is mostly the dispatch's
// own cost. Tensor k takes row k of the grid; the same arithmetic per element as `adamw`.
const HYPER = { lr: 'f32', b1: 'f32', b2: 'f32', eps: 'f32', wd: 'f32', bc1: 'f32', bc2: 'f32' } as const;
function adamwGroup(count: number) {
  const ks = [...Array(count).keys()];
  const sizes = Object.fromEntries(ks.map((k) => [`n${k}`, 'u32'])) as Record<`n${number}`, 'u32'>;
  const len = (k: number) => (u: UniformValues<Record<string, Scalar>>) => u[`n${k}`];
  const bindings = Object.fromEntries(
    ks.flatMap((k) => (['p', 'g', 'm', 'v'] as const).map((b) => [`${b}${k}`, { type: 'f32', access: b === 'g' ? 'read' : 'read_write', len: len(k) }])),
  ) as Record<string, BindingDecl>;
  return declared(`adamw_x${count}`, () => signature(`adamw_x${count}`, { ...sizes, ...HYPER }, bindings), () => `
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let i = wid.x * ${WG}u + lid.x;
  let k = wid.y;
${ks.map((k) => `  if (k == ${k}u && i < u.n${k}) {\n    ${adamwBody(String(k))}\n  }`).join('\n')}
}`);
}

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

function hyperOf(h: AdamWHyper) {
  return { lr: h.lr, b1: h.beta1, b2: h.beta2, eps: h.eps, wd: h.weightDecay, bc1: 1 - h.beta1 ** h.step, bc2: 1 - h.beta2 ** h.step };
}

export function adamwLaunch(n: number, h: AdamWHyper): Launch<'p' | 'g' | 'm' | 'v'> {
  return launchOf(adamw(), { n, ...hyperOf(h) }, grid1d(Math.ceil(n / WG)));
}

/** Most elements a grouped launch takes per tensor (one grid row of at most 65535 workgroups). */
export const ADAMW_GROUP_MAX_ELEMENTS = 65535 * WG;

/**
 * AdamW on `sizes.length` tensors (2 or more) of one parameter group in one dispatch: bindings
 * p0, g0, m0, v0, p1, ... (4 per tensor), each tensor at most ADAMW_GROUP_MAX_ELEMENTS.
 */
export function adamwGroupLaunch(sizes: readonly number[], h: AdamWHyper): Launch {
  const most = Math.max(...sizes);
  if (sizes.length < 2 || most > ADAMW_GROUP_MAX_ELEMENTS) throw new Error(`adamwGroupLaunch: ${sizes.length} tensors of up to ${most} elements`);
  const n = Object.fromEntries(sizes.map((size, k) => [`n${k}`, size]));
  return launchOf(adamwGroup(sizes.length), { ...n, ...hyperOf(h) } as never, [Math.ceil(most / WG), sizes.length, 1]);
}
