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
import { ENTRY_PARAMS, grid1d, linearIndex, type Launch } from './kernel.js';
import { declared, launchOf, signature, type Access, type UniformValues } from './signature.js';

const WG = 64;
const KB = 4;
const EPS = '1e-12';
const UNIFORMS = {
  m: 'u32', k: 'u32', c: 'u32', cv: 'u32',
  total: 'u32', chunks: 'u32', rows: 'u32', kb: 'u32',
  invTau: 'f32', tau: 'f32',
} as const;
type Values = UniformValues<typeof UNIFORMS>;
type Vec = 'f32' | 'vec4<f32>';
const buf = (access: Access, len: (u: Values) => number, type: Vec = 'f32') => ({ type, access, len });
// Buffer lengths in floats: features [M, C], weights [K, C], logits [M, K], partials [chunks, K, C + 1].
const mc = (u: Values): number => u.m * u.c;
const kc = (u: Values): number => u.k * u.c;
const mk = (u: Values): number => u.m * u.k;
const parts = (u: Values): number => u.chunks * u.k * (u.c + 1);
const forwardSig = (t: Vec) =>
  signature('cosine_fwd', UNIFORMS, {
    f: buf('read', mc, t),
    w: buf('read', kc, t),
    logits: buf('write', mk),
    rf: buf('write', (u) => u.m),
    rw: buf('write', (u) => u.k),
  });
const featureGradSig = (t: Vec) =>
  signature('cosine_df', UNIFORMS, {
    g: buf('read', mk),
    logits: buf('read', mk),
    f: buf('read', mc, t),
    w: buf('read', kc, t),
    rf: buf('read', (u) => u.m),
    rw: buf('read', (u) => u.k),
    df: buf('write', mc, t),
  });
const PARTIAL = signature('cosine_dw_partial', UNIFORMS, {
  g: buf('read', mk),
  logits: buf('read', mk),
  f: buf('read', mc),
  rf: buf('read', (u) => u.m),
  part: buf('write', parts),
});
const FINISH = signature('cosine_dw_finish', UNIFORMS, {
  part: buf('read', parts),
  w: buf('read', kc),
  rw: buf('read', (u) => u.k),
  dw: buf('write', kc),
});

function uniforms(m: number, k: number, c: number, vec: boolean, total: number, chunks: number, tau: number): Values {
  return { m, k, c, cv: vec ? c / 4 : c, total, chunks, rows: Math.ceil(m / chunks), kb: Math.ceil(k / KB), invTau: 1 / tau, tau };
}

/** Buffers: f [M, C], w [K, C], logits [M, K], rf [M], rw [K]. */
export function cosineForwardLaunch(m: number, k: number, c: number, tau: number): Launch<'f' | 'w' | 'logits' | 'rf' | 'rw'> {
  const vec = c % 4 === 0;
  const T = vec ? 'vec4<f32>' : 'f32';
  const dot = vec ? 'dot' : '';
  const cls = [...Array(KB).keys()];
  const spec = declared(`cosine_fwd_${vec ? 'v4' : 's'}`, () => forwardSig(T), () => `
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
  return launchOf(spec, uniforms(m, k, c, vec, total, 1, tau), grid1d(Math.ceil(total / WG)));
}

/** Feature gradient. Buffers: G [M, K], logits, f, w, rf, rw, df [M, C]. */
export function cosineFeatureGradLaunch(m: number, k: number, c: number, tau: number): Launch<'g' | 'logits' | 'f' | 'w' | 'rf' | 'rw' | 'df'> {
  const vec = c % 4 === 0;
  const T = vec ? 'vec4<f32>' : 'f32';
  const spec = declared(`cosine_df_${vec ? 'v4' : 's'}`, () => featureGradSig(T), () => `
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
  return launchOf(spec, uniforms(m, k, c, vec, total, 1, tau), grid1d(Math.ceil(total / WG)));
}

/** Partial class-weight gradient sums. Buffers: G, logits, f, rf, partial [chunks, K, C + 1]. */
export function cosineWeightGradPartialLaunch(m: number, k: number, c: number, tau: number, chunks: number): Launch<'g' | 'logits' | 'f' | 'rf' | 'part'> {
  const spec = declared('cosine_dw_partial', PARTIAL, () => `
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
  return launchOf(spec, uniforms(m, k, c, false, total, chunks, tau), grid1d(Math.ceil(total / WG)));
}

/** Finishes dw from the partials. Buffers: partial, w, rw, dw [K, C]. */
export function cosineWeightGradFinishLaunch(m: number, k: number, c: number, tau: number, chunks: number): Launch<'part' | 'w' | 'rw' | 'dw'> {
  const spec = declared('cosine_dw_finish', FINISH, () => `
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
  return launchOf(spec, uniforms(m, k, c, false, total, chunks, tau), grid1d(Math.ceil(total / WG)));
}

/** Row chunks for the dw reduction so that about `target` invocations run. */
export function cosineChunks(m: number, k: number, c: number, target = 1024, minRows = 64): number {
  const want = Math.max(1, Math.ceil(target / (k * (c + 1))));
  const chunks = Math.max(1, Math.min(want, Math.floor(m / minRows)));
  return Math.ceil(m / Math.ceil(m / chunks));
}
