// Softmax and log-softmax over the middle axis of a contiguous [outer, K, inner] view, one thread
// per row, numerically stable (the row max is subtracted first). Backward from the saved output:
//   softmax:     dx = y * (g - sum_k g*y)
//   log-softmax: dx = g - exp(y) * sum_k g
import { ENTRY_PARAMS, Uniforms, grid1d, linearIndex, type KernelSpec, type Launch } from './kernel.js';

export type SoftmaxKind = 'softmax' | 'log_softmax';
const WG = 64;
const HEADER = `
struct U { outer: u32, k: u32, inner: u32, _p: u32 }
@group(0) @binding(0) var<uniform> u: U;`;

function forwardSpec(kind: SoftmaxKind): KernelSpec {
  const write = kind === 'softmax' ? 'exp(x[at] - m) * inv' : 'x[at] - m - log(s)';
  return {
    name: `${kind}_fwd`,
    bindings: ['read', 'read_write'],
    wgsl: `${HEADER}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.outer * u.inner) { return; }
  let base = (t / u.inner) * u.k * u.inner + t % u.inner;
  var m = -3.4028234663852886e38;
  var at = base;
  for (var k = 0u; k < u.k; k++) { m = max(m, x[at]); at += u.inner; }
  var s = 0.0;
  at = base;
  for (var k = 0u; k < u.k; k++) { s += exp(x[at] - m); at += u.inner; }
  let inv = 1.0 / s;
  at = base;
  for (var k = 0u; k < u.k; k++) { y[at] = ${write}; at += u.inner; }
}`,
  };
}

function backwardSpec(kind: SoftmaxKind): KernelSpec {
  const dot = kind === 'softmax' ? 'g[at] * y[at]' : 'g[at]';
  const write = kind === 'softmax' ? 'y[at] * (g[at] - s)' : 'g[at] - exp(y[at]) * s';
  return {
    name: `${kind}_bwd`,
    bindings: ['read', 'read', 'read_write'],
    wgsl: `${HEADER}
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.outer * u.inner) { return; }
  let base = (t / u.inner) * u.k * u.inner + t % u.inner;
  var s = 0.0;
  var at = base;
  for (var k = 0u; k < u.k; k++) { s += ${dot}; at += u.inner; }
  at = base;
  for (var k = 0u; k < u.k; k++) { dx[at] = ${write}; at += u.inner; }
}`,
  };
}

const cache = new Map<string, KernelSpec>();
function cached(name: string, make: () => KernelSpec): KernelSpec {
  let s = cache.get(name);
  if (!s) cache.set(name, (s = make()));
  return s;
}

function launch(spec: KernelSpec, outer: number, k: number, inner: number): Launch {
  return {
    spec,
    uniforms: new Uniforms().u32(outer, k, inner, 0).pack(),
    workgroups: grid1d(Math.ceil((outer * inner) / WG)),
  };
}

export const softmaxForwardLaunch = (kind: SoftmaxKind, outer: number, k: number, inner: number): Launch =>
  launch(cached(`${kind}_fwd`, () => forwardSpec(kind)), outer, k, inner);
export const softmaxBackwardLaunch = (kind: SoftmaxKind, outer: number, k: number, inner: number): Launch =>
  launch(cached(`${kind}_bwd`, () => backwardSpec(kind)), outer, k, inner);
