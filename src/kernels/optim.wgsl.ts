// In-place optimiser updates. Parameter and state buffers are bound once as read_write (WebGPU
// forbids binding one buffer as both input and output of a dispatch).
//   SGD:   m = mu m + (g + wd p);  p -= lr m                    (nesterov off, as PyTorch's default)
//   AdamW: m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
//          p = p (1 - lr wd) - lr (m / bc1) / (sqrt(v / bc2) + eps)   (Loshchilov & Hutter, Alg. 2)
import { ENTRY_PARAMS, Uniforms, grid1d, linearIndex, type KernelSpec, type Launch } from './kernel.js';

const WG = 256;

const SGD: KernelSpec = {
  name: 'sgd_momentum',
  bindings: ['read_write', 'read', 'read_write'],
  wgsl: `
struct U { n: u32, lr: f32, momentum: f32, wd: f32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(WG)};
  if (i >= u.n) { return; }
  let d = g[i] + u.wd * p[i];
  let mi = u.momentum * m[i] + d;
  m[i] = mi;
  p[i] = p[i] - u.lr * mi;
}`,
};

const ADAMW: KernelSpec = {
  name: 'adamw',
  bindings: ['read_write', 'read', 'read_write', 'read_write'],
  wgsl: `
struct U { n: u32, lr: f32, b1: f32, b2: f32, eps: f32, wd: f32, bc1: f32, bc2: f32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
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
}`,
};

export function sgdLaunch(n: number, lr: number, momentum: number, wd: number): Launch {
  return { spec: SGD, uniforms: new Uniforms().u32(n).f32(lr, momentum, wd).pack(), workgroups: grid1d(Math.ceil(n / WG)) };
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

export function adamwLaunch(n: number, h: AdamWHyper): Launch {
  const bc1 = 1 - h.beta1 ** h.step;
  const bc2 = 1 - h.beta2 ** h.step;
  return {
    spec: ADAMW,
    uniforms: new Uniforms().u32(n).f32(h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, bc1, bc2).pack(),
    workgroups: grid1d(Math.ceil(n / WG)),
  };
}
