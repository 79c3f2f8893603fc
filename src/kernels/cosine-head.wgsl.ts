// Fused cosine classifier (Eq. 1 of the paper): logits[m, k] = <f_m/|f_m|, w_k/|w_k|> / tau for
// features f [M = N*H*W, C] (NHWC) and class weights w [K, C]. One forward kernel: an invocation
// owns one pixel and 4 classes, walks the channels once (vec4 along C) accumulating the 4 dot
// products and both squared norms, so no normalised copy of f or w is ever written; it also
// writes the inverse norms rf [M] and rw [K], all the backward needs besides the logits.
// With s = tau * logits, G the logits' gradient, a[m] = sum_k G s and b[k] = sum_m G s:
//   df[m, c] = rf[m]/tau * (sum_k G[m,k] rw[k] w[k,c] - a[m] rf[m] f[m,c])
//   dw[k, c] = rw[k]/tau * (sum_m G[m,k] rf[m] f[m,c] - b[k] rw[k] w[k,c])
// df is one gather kernel; dw reduces over M in row chunks (partials [chunks, K, C + 1], the last
// column holding b) and a finishing kernel applies the formula: no atomics.
import { ENTRY_PARAMS, Uniforms, cachedSpec, grid1d, linearIndex, type Launch } from './kernel.js';

const WG = 64;
const KB = 4;
const EPS = '1e-12';
const U = `struct U {
  m: u32, k: u32, c: u32, cv: u32,
  total: u32, chunks: u32, rows: u32, kb: u32,
  invTau: f32, tau: f32, _p0: u32, _p1: u32,
}
@group(0) @binding(0) var<uniform> u: U;`;

function uniforms(m: number, k: number, c: number, vec: boolean, total: number, chunks: number, tau: number): ArrayBuffer {
  return new Uniforms()
    .u32(m, k, c, vec ? c / 4 : c, total, chunks, Math.ceil(m / chunks), Math.ceil(k / KB))
    .f32(1 / tau, tau)
    .u32(0, 0)
    .pack();
}

/** Buffers: f [M, C], w [K, C], logits [M, K], rf [M], rw [K]. */
export function cosineForwardLaunch(m: number, k: number, c: number, tau: number): Launch {
  const vec = c % 4 === 0;
  const T = vec ? 'vec4<f32>' : 'f32';
  const dot = vec ? 'dot' : '';
  const cls = [...Array(KB).keys()];
  const spec = cachedSpec(`cosine_fwd_${vec ? 'v4' : 's'}`, ['read', 'read', 'read_write', 'read_write', 'read_write'], () => `
${U}
@group(0) @binding(1) var<storage, read> f: array<${T}>;
@group(0) @binding(2) var<storage, read> w: array<${T}>;
@group(0) @binding(3) var<storage, read_write> logits: array<f32>;
@group(0) @binding(4) var<storage, read_write> rf: array<f32>;
@group(0) @binding(5) var<storage, read_write> rw: array<f32>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.total) { return; }
  let kt = t % u.kb;
  let m = t / u.kb;
  let k0 = kt * ${KB}u;
  ${cls.map((j) => `let w${j} = min(k0 + ${j}u, u.k - 1u) * u.cv;\n  var d${j} = 0.0;\n  var n${j} = 0.0;`).join('\n  ')}
  var nf = 0.0;
  let fa = m * u.cv;
  for (var i = 0u; i < u.cv; i++) {
    let fv = f[fa + i];
    nf += ${dot}(fv${vec ? ', fv' : ' * fv'});
    ${cls.map((j) => `let wv${j} = w[w${j} + i];\n    d${j} += ${dot}(fv${vec ? `, wv${j}` : ` * wv${j}`});\n    n${j} += ${dot}(wv${j}${vec ? `, wv${j}` : ` * wv${j}`});`).join('\n    ')}
  }
  let inf = 1.0 / max(sqrt(nf), ${EPS});
  ${cls
    .map(
      (j) => `if (k0 + ${j}u < u.k) {
    let inw = 1.0 / max(sqrt(n${j}), ${EPS});
    logits[m * u.k + k0 + ${j}u] = d${j} * inf * inw * u.invTau;
    if (m == 0u) { rw[k0 + ${j}u] = inw; }
  }`,
    )
    .join('\n  ')}
  if (kt == 0u) { rf[m] = inf; }
}`);
  const total = m * Math.ceil(k / KB);
  return { spec, uniforms: uniforms(m, k, c, vec, total, 1, tau), workgroups: grid1d(Math.ceil(total / WG)) };
}

/** Feature gradient. Buffers: G [M, K], logits, f, w, rf, rw, df [M, C]. */
export function cosineFeatureGradLaunch(m: number, k: number, c: number, tau: number): Launch {
  const vec = c % 4 === 0;
  const T = vec ? 'vec4<f32>' : 'f32';
  const spec = cachedSpec(`cosine_df_${vec ? 'v4' : 's'}`, ['read', 'read', 'read', 'read', 'read', 'read', 'read_write'], () => `
${U}
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read> f: array<${T}>;
@group(0) @binding(4) var<storage, read> w: array<${T}>;
@group(0) @binding(5) var<storage, read> rf: array<f32>;
@group(0) @binding(6) var<storage, read> rw: array<f32>;
@group(0) @binding(7) var<storage, read_write> df: array<${T}>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.total) { return; }
  let ci = t % u.cv;
  let m = t / u.cv;
  var acc = ${T}(0.0);
  var a = 0.0;
  for (var j = 0u; j < u.k; j++) {
    let gk = g[m * u.k + j];
    acc += (gk * rw[j]) * w[j * u.cv + ci];
    a += gk * logits[m * u.k + j];
  }
  let r = rf[m];
  df[t] = r * u.invTau * (acc - (a * u.tau) * r * f[t]);
}`);
  const total = m * (vec ? c / 4 : c);
  return { spec, uniforms: uniforms(m, k, c, vec, total, 1, tau), workgroups: grid1d(Math.ceil(total / WG)) };
}

/** Partial class-weight gradient sums. Buffers: G, logits, f, rf, partial [chunks, K, C + 1]. */
export function cosineWeightGradPartialLaunch(m: number, k: number, c: number, tau: number, chunks: number): Launch {
  const spec = cachedSpec('cosine_dw_partial', ['read', 'read', 'read', 'read', 'read_write'], () => `
${U}
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read> f: array<f32>;
@group(0) @binding(4) var<storage, read> rf: array<f32>;
@group(0) @binding(5) var<storage, read_write> part: array<f32>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.total) { return; }
  // Column c == C accumulates b = sum_m G * logits (times tau later).
  let col = t % (u.c + 1u);
  let r = t / (u.c + 1u);
  let j = r % u.k;
  let chunk = r / u.k;
  let m0 = chunk * u.rows;
  let m1 = min(m0 + u.rows, u.m);
  var acc = 0.0;
  if (col < u.c) {
    for (var m = m0; m < m1; m++) { acc += g[m * u.k + j] * rf[m] * f[m * u.c + col]; }
  } else {
    for (var m = m0; m < m1; m++) { acc += g[m * u.k + j] * logits[m * u.k + j]; }
  }
  part[t] = acc;
}`);
  const total = chunks * k * (c + 1);
  return { spec, uniforms: uniforms(m, k, c, false, total, chunks, tau), workgroups: grid1d(Math.ceil(total / WG)) };
}

/** Finishes dw from the partials. Buffers: partial, w, rw, dw [K, C]. */
export function cosineWeightGradFinishLaunch(m: number, k: number, c: number, tau: number, chunks: number): Launch {
  const spec = cachedSpec('cosine_dw_finish', ['read', 'read', 'read', 'read_write'], () => `
${U}
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> rw: array<f32>;
@group(0) @binding(4) var<storage, read_write> dw: array<f32>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.total) { return; }
  let col = t % u.c;
  let j = t / u.c;
  var s = 0.0;
  var b = 0.0;
  for (var q = 0u; q < u.chunks; q++) {
    let base = (q * u.k + j) * (u.c + 1u);
    s += part[base + col];
    b += part[base + u.c];
  }
  let r = rw[j];
  dw[t] = r * u.invTau * (s - (b * u.tau) * r * w[t]);
}`);
  const total = k * c;
  return { spec, uniforms: uniforms(m, k, c, false, total, chunks, tau), workgroups: grid1d(Math.ceil(total / WG)) };
}

/** Row chunks for the dw reduction so that about `target` invocations run. */
export function cosineChunks(m: number, k: number, c: number, target = 1024, minRows = 64): number {
  const want = Math.max(1, Math.ceil(target / (k * (c + 1))));
  const chunks = Math.max(1, Math.min(want, Math.floor(m / minRows)));
  return Math.ceil(m / Math.ceil(m / chunks));
}
