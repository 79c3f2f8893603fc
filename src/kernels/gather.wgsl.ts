// Indexing kernels on contiguous [outer, K, inner] views.
//   gather:      out[o, j, i] = x[o, idx[j], i]                  (index_select along one axis)
//   gather_grad: dx[o, k, i]  = sum_{j : idx[j] = k} g[o, j, i]   (each output sums what it fed:
//                a gather-style backward, no float atomics)
//   one_hot:     out[n, c] = 1 if labels[n] == c else 0 (an out-of-range label, e.g. ignore 255,
//                gives a zero row)
import { ENTRY_PARAMS, Uniforms, grid1d, linearIndex, type KernelSpec, type Launch } from './kernel.js';

const WG = 64;
const HEADER = `
struct U { outer: u32, k: u32, inner: u32, j: u32 }
@group(0) @binding(0) var<uniform> u: U;`;

const GATHER: KernelSpec = {
  name: 'gather',
  bindings: ['read', 'read', 'read_write'],
  wgsl: `${HEADER}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.outer * u.j * u.inner) { return; }
  let i = t % u.inner;
  let j = (t / u.inner) % u.j;
  let o = t / (u.inner * u.j);
  let src = u32(idx[j]);
  out[t] = x[(o * u.k + src) * u.inner + i];
}`,
};

const GATHER_GRAD: KernelSpec = {
  name: 'gather_grad',
  bindings: ['read', 'read', 'read_write'],
  wgsl: `${HEADER}
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.outer * u.k * u.inner) { return; }
  let i = t % u.inner;
  let k = (t / u.inner) % u.k;
  let o = t / (u.inner * u.k);
  var s = 0.0;
  for (var j = 0u; j < u.j; j++) {
    if (u32(idx[j]) == k) { s += g[(o * u.j + j) * u.inner + i]; }
  }
  dx[t] = s;
}`,
};

// Backward of a gather whose indices are all distinct: each source element receives at most one
// gradient, so a plain scatter into a zero-filled buffer is exact (and O(J) instead of O(K J)).
const SCATTER: KernelSpec = {
  name: 'gather_grad_unique',
  bindings: ['read', 'read', 'read_write'],
  wgsl: `${HEADER}
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.outer * u.j * u.inner) { return; }
  let i = t % u.inner;
  let j = (t / u.inner) % u.j;
  let o = t / (u.inner * u.j);
  dx[(o * u.k + u32(idx[j])) * u.inner + i] = g[t];
}`,
};

const ONE_HOT: KernelSpec = {
  name: 'one_hot',
  bindings: ['read', 'read_write'],
  wgsl: `${HEADER}
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.outer * u.k) { return; }
  let c = t % u.k;
  out[t] = select(0.0, 1.0, labels[t / u.k] == i32(c));
}`,
};

export function gatherLaunch(outer: number, k: number, inner: number, j: number): Launch {
  return { spec: GATHER, uniforms: new Uniforms().u32(outer, k, inner, j).pack(), workgroups: grid1d(Math.ceil((outer * j * inner) / WG)) };
}
export function gatherGradLaunch(outer: number, k: number, inner: number, j: number): Launch {
  return { spec: GATHER_GRAD, uniforms: new Uniforms().u32(outer, k, inner, j).pack(), workgroups: grid1d(Math.ceil((outer * k * inner) / WG)) };
}
export function scatterUniqueLaunch(outer: number, k: number, inner: number, j: number): Launch {
  return { spec: SCATTER, uniforms: new Uniforms().u32(outer, k, inner, j).pack(), workgroups: grid1d(Math.ceil((outer * j * inner) / WG)) };
}
export function oneHotLaunch(n: number, classes: number): Launch {
  return { spec: ONE_HOT, uniforms: new Uniforms().u32(n, classes, 1, 0).pack(), workgroups: grid1d(Math.ceil((n * classes) / WG)) };
}
