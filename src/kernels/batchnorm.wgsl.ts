// Batch norm over the channels of an NHWC tensor viewed as [M = N*H*W, C]: every reduction is a
// column reduction, split into row chunks (one invocation per chunk and channel, channels fastest
// so neighbouring lanes read neighbouring addresses), finished per channel by a second kernel.
//   stats:    per chunk, mean and M2 (sum of squared deviations) of its rows, accumulated around the
//             chunk's first value (shifted sums: no catastrophic cancellation for large means);
//   finalize: Chan's parallel merge of the chunks -> mean, 1/sqrt(var + eps) (biased var), and the
//             in-place running-stat update with momentum and the unbiased variance (as PyTorch);
//   apply:    y = (x - mean) * invstd * gamma + beta.
// Backward: per-chunk sums of g and g*(x - mean), per-channel coefficients (and dgamma, dbeta),
// then dx = a*g + b*(x - mean) + c, which covers training (batch statistics) and eval mode.
// With a ReLU fused after the apply, the two activation passes of the backward read the op's
// output y and take ReLU's gradient of g (the map's own expression, so the bits are those of BN's
// backward after relu_grad) where they read g: no relu_grad pass and no masked copy of g. The
// fused kernels address y, g and the forward's output as row views (RowView), so a channel slice
// of a concatenation is written and read in place.
import { reluGrad } from './elementwise.wgsl.js';
import { flatMain, grid1d, type Launch } from './kernel.js';
import { declared, launchOf, signature, type Access, type BindingDecl, type DeclaredSpec, type UniformValues } from './signature.js';

const WG = 64;
/** Rows per chunk for a column reduction of [m, c] so that about `target` invocations run. */
export function bnChunks(m: number, c: number, target = 256, minRows = 16): number {
  const want = Math.max(1, Math.ceil(target / c));
  const chunks = Math.max(1, Math.min(want, Math.floor(m / minRows)));
  return Math.ceil(m / Math.ceil(m / chunks));
}

// Column reductions of [m, c] in `chunks` chunks of `rows` rows, `total` = c * chunks invocations.
const REDUCE_U = { m: 'u32', c: 'u32', chunks: 'u32', rows: 'u32', total: 'u32' } as const;
type Reduce = UniformValues<typeof REDUCE_U>;
const f32 = <V>(access: Access, len: (u: V) => number) => ({ type: 'f32', access, len }) as const;
const rows = (u: Reduce): number => u.m * u.c;
const STATS = signature('bn_stats', REDUCE_U, { x: f32('read', rows), out: f32('write', (u) => u.chunks * 3 * u.c) });
const BWD_REDUCE = signature('bn_bwd_reduce', REDUCE_U, {
  x: f32('read', rows),
  g: f32('read', rows),
  stats: f32('read', (u) => 2 * u.c),
  out: f32('write', (u) => u.chunks * 2 * u.c),
});

/**
 * Where row r (of M = N*H*W), channel ch of an activation lies in its buffer: r * stride + offset
 * + ch, in f32 elements. A dense [M, C] tensor is (C, 0); a channel slice of a concatenation is
 * (the total channels, the slice's first channel).
 */
export interface RowView {
  readonly stride: number;
  readonly offset: number;
}

/** f32 elements a row view of m rows of `width` values may index (stride and offset in the same unit as width). */
const viewLen = (m: number, stride: number, offset: number, width: number, unit: number): number => (m === 0 ? 0 : ((m - 1) * stride + offset + width) * unit);

// The fused ReLU's backward reduction: g and y as row views (gs, go, ys, yo in f32 elements).
const REDUCE_RELU_U = { ...REDUCE_U, gs: 'u32', go: 'u32', ys: 'u32', yo: 'u32' } as const;
type ReduceRelu = UniformValues<typeof REDUCE_RELU_U>;
const BWD_REDUCE_RELU = signature('bn_bwd_reduce_relu', REDUCE_RELU_U, {
  x: f32('read', (u: ReduceRelu) => u.m * u.c),
  g: f32('read', (u: ReduceRelu) => viewLen(u.m, u.gs, u.go, u.c, 1)),
  y: f32('read', (u: ReduceRelu) => viewLen(u.m, u.ys, u.yo, u.c, 1)),
  stats: f32('read', (u: ReduceRelu) => 2 * u.c),
  out: f32('write', (u: ReduceRelu) => u.chunks * 2 * u.c),
});
const FINALIZE = signature(
  'bn_finalize',
  { c: 'u32', chunks: 'u32', eps: 'f32', momentum: 'f32' },
  {
    part: f32('read', (u) => u.chunks * 3 * u.c),
    stats: f32('write', (u) => 2 * u.c),
    rmean: f32('read_write', (u) => u.c),
    rvar: f32('read_write', (u) => u.c),
  },
);
const EVAL_STATS = signature(
  'bn_eval_stats',
  { c: 'u32', eps: 'f32' },
  { rmean: f32('read', (u) => u.c), rvar: f32('read', (u) => u.c), stats: f32('write', (u) => 2 * u.c) },
);
const BWD_FINALIZE = signature(
  'bn_bwd_finalize',
  { c: 'u32', chunks: 'u32', m: 'f32' },
  {
    part: f32('read', (u) => u.chunks * 2 * u.c),
    stats: f32('read', (u) => 2 * u.c),
    gamma: f32('read', (u) => u.c),
    coef: f32('write', (u) => 3 * u.c),
    dgammaOut: f32('write', (u) => u.c),
    dbetaOut: f32('write', (u) => u.c),
  },
);
// Elementwise passes over n = m * cv channel vectors (cv = c / 4 in the vec4 kernels). The fused
// ReLU's passes add row views in lanes (vec4 units in the vec4 kernels): the forward's output
// (os, oo), the backward's g (gs, go) and y (ys, yo).
// groups: invocations with work, ceil(rows / rows-per-invocation) * cv.
const APPLY_U = { n: 'u32', cv: 'u32', c: 'u32', groups: 'u32' } as const;
const APPLY_RELU_U = { ...APPLY_U, os: 'u32', oo: 'u32' } as const;
const BWD_APPLY_RELU_U = { ...APPLY_U, gs: 'u32', go: 'u32', ys: 'u32', yo: 'u32' } as const;
type ApplyFields = typeof APPLY_U | typeof APPLY_RELU_U | typeof BWD_APPLY_RELU_U;
type Apply = UniformValues<typeof APPLY_U>;
const PER_CHANNEL: Record<string, number> = { stats: 2, gamma: 1, beta: 1, coef: 3 };
const ACTIVATIONS = ['x', 'g', 'y', 'out'];

/**
 * Bindings `inputs` then out: x, g, y and out are activations (vec4 lanes in the vec4 kernels),
 * dense unless `views` names their (stride, offset) uniforms; the rest per-channel f32 rows.
 */
function applySignature<F extends ApplyFields>(vec: boolean, fields: F, inputs: readonly string[], views: Readonly<Record<string, readonly [string, string]>> = {}) {
  const T = vec ? 'vec4<f32>' : 'f32';
  const unit = vec ? 4 : 1;
  const activation = (v: string) => (u: Apply): number => {
    const view = views[v];
    if (!view) return (u.n / u.cv) * u.c;
    const at = u as unknown as Record<string, number>;
    return viewLen(u.cv === 0 ? 0 : u.n / u.cv, at[view[0]], at[view[1]], u.cv, unit);
  };
  const b: Record<string, BindingDecl<typeof APPLY_U>> = {};
  for (const v of [...inputs, 'out']) {
    const access = v === 'out' ? 'write' : 'read';
    b[v] = ACTIVATIONS.includes(v) ? { type: T, access, len: activation(v) } : f32(access, (u: Apply) => PER_CHANNEL[v] * u.c);
  }
  return signature('bn_apply', fields, b as Record<string, BindingDecl<F>>);
}

// The reduction passes: invocation t sums channel ch over rows [r0, r1) of chunk k.
const CHUNK = `${flatMain(WG, 'u.total')}
  let ch = t % u.c;
  let k = t / u.c;
  let r0 = k * u.rows;
  let r1 = min(r0 + u.rows, u.m);`;

/** Partial statistics: out [chunks, 3, C] = (count, mean, M2) of each chunk. Buffers: x, out. */
export function bnStatsLaunch(m: number, c: number, chunks: number): Launch<'x' | 'out'> {
  const spec = declared('bn_stats', STATS, () => `
${CHUNK}
  let shift = x[r0 * u.c + ch];
  var s = 0.0;
  var ss = 0.0;
  for (var r = r0; r < r1; r++) {
    let d = x[r * u.c + ch] - shift;
    s += d;
    ss += d * d;
  }
  let n = f32(r1 - r0);
  let o = k * 3u * u.c + ch;
  out[o] = n;
  out[o + u.c] = shift + s / n;
  out[o + 2u * u.c] = max(ss - s * s / n, 0.0);
}`);
  return launch(spec, m, c, chunks);
}

function launch<B extends string>(spec: DeclaredSpec<typeof REDUCE_U>, m: number, c: number, chunks: number): Launch<B> {
  const total = c * chunks;
  return launchOf(spec, { m, c, chunks, rows: Math.ceil(m / chunks), total }, grid1d(Math.ceil(total / WG))) as Launch<B>;
}

/**
 * Merges partial statistics: stats [2, C] = (mean, invstd); running mean/var updated in place.
 * Buffers: partial, stats, runningMean, runningVar.
 */
export function bnFinalizeLaunch(c: number, chunks: number, eps: number, momentum: number): Launch<'part' | 'stats' | 'rmean' | 'rvar'> {
  const spec = declared('bn_finalize', FINALIZE, () => `
${flatMain(WG, 'u.c', 'ch')}
  var n = 0.0;
  var mean = 0.0;
  var m2 = 0.0;
  for (var k = 0u; k < u.chunks; k++) {
    let o = k * 3u * u.c + ch;
    let nb = part[o];
    let mb = part[o + u.c];
    let total = n + nb;
    let delta = mb - mean;
    mean += delta * nb / total;
    m2 += part[o + 2u * u.c] + delta * delta * n * nb / total;
    n = total;
  }
  stats[ch] = mean;
  stats[u.c + ch] = inverseSqrt(m2 / n + u.eps);
  rmean[ch] = (1.0 - u.momentum) * rmean[ch] + u.momentum * mean;
  rvar[ch] = (1.0 - u.momentum) * rvar[ch] + u.momentum * m2 / max(n - 1.0, 1.0);
}`);
  return launchOf(spec, { c, chunks, eps, momentum }, grid1d(Math.ceil(c / WG)));
}

/** stats [2, C] = (runningMean, 1/sqrt(runningVar + eps)) for eval mode. Buffers: rmean, rvar, stats. */
export function bnEvalStatsLaunch(c: number, eps: number): Launch<'rmean' | 'rvar' | 'stats'> {
  const spec = declared('bn_eval_stats', EVAL_STATS, () => `
${flatMain(WG, 'u.c', 'ch')}
  stats[ch] = rmean[ch];
  stats[u.c + ch] = inverseSqrt(rvar[ch] + u.eps);
}`);
  return launchOf(spec, { c, eps }, grid1d(Math.ceil(c / WG)));
}

/**
 * An elementwise pass over [rows, C] with per-channel parameters: an invocation takes one channel
 * (vector) and `rowsPer` consecutive rows, so the parameters (`params`, loaded once) serve
 * `rowsPer` elements (`element`, with i its flat index). On a software adapter a load costs per
 * lane and component whether it repeats or not (docs/performance.md, "What a load costs on
 * lavapipe"), and the parameters were 16 of the 20 (forward) or 28 (backward) components an
 * element loaded; a GPU keeps one row per invocation.
 */
function applyBody(vec: boolean, rowsPer: number, params: string, element: string): string {
  // Per-channel parameters are f32 arrays; a vec4 lane gathers 4 consecutive channels.
  const ch = (a: string) => (vec ? `vec4<f32>(${a}[c4], ${a}[c4 + 1u], ${a}[c4 + 2u], ${a}[c4 + 3u])` : `${a}[c4]`);
  const sub = (code: string) => code.replace(/CH\((\w+)(?:, (\w+))?\)/g, (_m, a: string, off?: string) => ch(off ? `${a}_${off}` : a));
  return `
${flatMain(WG, 'u.groups', 't')}
  let cvi = t % u.cv;
  let r0 = (t / u.cv) * ${rowsPer}u;
  let c4 = cvi * ${vec ? 4 : 1}u;
  ${sub(params)}
  for (var p = 0u; p < ${rowsPer}u; p++) {
    let i = (r0 + p) * u.cv + cvi;
    if (i >= u.n) { break; }
    ${sub(element)}
  }
}`;
}

function applyLaunch<B extends string, F extends ApplyFields>(spec: DeclaredSpec<F>, m: number, c: number, vec: boolean, rowsPer: number, views: Readonly<Record<string, number>> = {}): Launch<B> {
  const cv = vec ? c / 4 : c;
  const n = m * cv;
  const groups = Math.ceil(m / rowsPer) * cv;
  // Row views in lanes: vecRows() chose vec4 only where they divide by 4.
  const lanes = Object.fromEntries(Object.entries(views).map(([k, v]) => [k, vec ? v / 4 : v]));
  return launchOf(spec, { n, cv, c, groups, ...lanes } as UniformValues<F>, grid1d(Math.ceil(groups / WG))) as Launch<B>;
}

/** Whether the vec4 kernels serve c channels with these row views (every stride and offset a multiple of 4). */
function vecRows(c: number, ...views: readonly RowView[]): boolean {
  return c % 4 === 0 && views.every((v) => v.stride % 4 === 0 && v.offset % 4 === 0);
}

/** The vec4 (v4) or scalar (s) kernel's element index of row view `name` for flat lane index i. */
const at = (name: string) => `(i / u.cv) * u.${name}s + u.${name}o + i % u.cv`;

/**
 * y = (x - mean) * invstd * gamma + beta, with `relu` max(y, 0) in the same pass (one read and one
 * write of the activation instead of two each), written to the row view `out` (dense by default).
 * Buffers: x, stats [2, C], gamma, beta, y.
 */
export function bnApplyLaunch(m: number, c: number, relu = false, out: RowView = { stride: c, offset: 0 }, rowsPer = 1): Launch<'x' | 'stats' | 'gamma' | 'beta' | 'out'> {
  if (!relu && (out.stride !== c || out.offset !== 0)) throw new Error('bnApplyLaunch: only the fused ReLU writes to a row view');
  const vec = vecRows(c, out);
  const inputs = ['x', 'stats', 'gamma', 'beta'];
  const body = (store: string) =>
    applyBody(
      vec,
      rowsPer,
      `let mean = ${vec ? 'vec4<f32>(stats[c4], stats[c4 + 1u], stats[c4 + 2u], stats[c4 + 3u])' : 'stats[c4]'};
  let inv = ${vec ? 'vec4<f32>(stats[u.c + c4], stats[u.c + c4 + 1u], stats[u.c + c4 + 2u], stats[u.c + c4 + 3u])' : 'stats[u.c + c4]'};
  let gam = CH(gamma);
  let bet = CH(beta);`,
      `let y = (x[i] - mean) * inv * gam + bet;
    ${store}`,
    );
  const name = `bn_apply_${vec ? 'v4' : 's'}_r${rowsPer}`;
  if (!relu) return applyLaunch(declared(name, () => applySignature(vec, APPLY_U, inputs), () => body('out[i] = y;')), m, c, vec, rowsPer);
  const spec = declared(`${name}_relu`, () => applySignature(vec, APPLY_RELU_U, inputs, { out: ['os', 'oo'] }), () =>
    body(`out[${at('o')}] = max(y, ${vec ? 'vec4<f32>(0.0)' : '0.0'});`),
  );
  return applyLaunch(spec, m, c, vec, rowsPer, { os: out.stride, oo: out.offset });
}

/**
 * Fused ReLU's rows: g and y as row views. Absent (plain batch norm), g is dense and there is no y.
 */
export interface ReluRows {
  g: RowView;
  y: RowView;
}

/**
 * Partial backward sums: out [chunks, 2, C] = (sum g, sum g*(x - mean)). Buffers: x, g, stats, out;
 * with the fused ReLU's `rows`, also y (the op's output), and g is taken where y > 0 only.
 */
export function bnBackwardReduceLaunch(m: number, c: number, chunks: number): Launch<'x' | 'g' | 'stats' | 'out'>;
export function bnBackwardReduceLaunch(m: number, c: number, chunks: number, rows: ReluRows): Launch<'x' | 'g' | 'y' | 'stats' | 'out'>;
export function bnBackwardReduceLaunch(m: number, c: number, chunks: number, relu?: ReluRows): Launch<'x' | 'g' | 'y' | 'stats' | 'out'> {
  const body = (gv: string) => `
${CHUNK}
  let mean = stats[ch];
  var sg = 0.0;
  var sgx = 0.0;
  for (var r = r0; r < r1; r++) {
    let gv = ${gv};
    sg += gv;
    sgx += gv * (x[r * u.c + ch] - mean);
  }
  out[k * 2u * u.c + ch] = sg;
  out[k * 2u * u.c + u.c + ch] = sgx;
}`;
  if (!relu) return launch(declared('bn_bwd_reduce', BWD_REDUCE, () => body('g[r * u.c + ch]')), m, c, chunks);
  const spec = declared('bn_bwd_reduce_relu', BWD_REDUCE_RELU, () => body(reluGrad('g[r * u.gs + u.go + ch]', 'y[r * u.ys + u.yo + ch]')));
  const total = c * chunks;
  const views = { gs: relu.g.stride, go: relu.g.offset, ys: relu.y.stride, yo: relu.y.offset };
  return launchOf(spec, { m, c, chunks, rows: Math.ceil(m / chunks), total, ...views }, grid1d(Math.ceil(total / WG)));
}

/**
 * Per-channel backward coefficients: coef [3, C] = (a, b, c) with dx = a*g + b*(x - mean) + c,
 * dgamma [C] and dbeta [C]. Buffers: partial, stats, gamma, coef, dgamma, dbeta (two buffers, not
 * one [2, C]: a parameter's gradient must start at offset 0, and a view at offset C was copied).
 */
export function bnBackwardFinalizeLaunch(m: number, c: number, chunks: number, training: boolean): Launch<'part' | 'stats' | 'gamma' | 'coef' | 'dgammaOut' | 'dbetaOut'> {
  const spec = declared(`bn_bwd_finalize_${training ? 'train' : 'eval'}`, BWD_FINALIZE, () => `
${flatMain(WG, 'u.c', 'ch')}
  var sg = 0.0;
  var sgx = 0.0;
  for (var k = 0u; k < u.chunks; k++) {
    sg += part[k * 2u * u.c + ch];
    sgx += part[k * 2u * u.c + u.c + ch];
  }
  let inv = stats[u.c + ch];
  let dgamma = sgx * inv;
  let a = gamma[ch] * inv;
  dgammaOut[ch] = dgamma;
  dbetaOut[ch] = sg;
  coef[ch] = a;
  ${
    training
      ? `coef[u.c + ch] = -a * inv * dgamma / u.m;
  coef[2u * u.c + ch] = -a * sg / u.m;`
      : `coef[u.c + ch] = 0.0;
  coef[2u * u.c + ch] = 0.0;`
  }
}`);
  return launchOf(spec, { c, chunks, m }, grid1d(Math.ceil(c / WG)));
}

/**
 * dx = a*g + b*(x - mean) + c. Buffers: x, g, stats, coef, dx; with the fused ReLU's `rows` also y,
 * g masked as in the reduction.
 */
export function bnBackwardApplyLaunch(m: number, c: number, rows?: undefined, rowsPer?: number): Launch<'x' | 'g' | 'stats' | 'coef' | 'out'>;
export function bnBackwardApplyLaunch(m: number, c: number, rows: ReluRows, rowsPer?: number): Launch<'x' | 'g' | 'y' | 'stats' | 'coef' | 'out'>;
export function bnBackwardApplyLaunch(m: number, c: number, relu?: ReluRows, rowsPer = 1): Launch<'x' | 'g' | 'y' | 'stats' | 'coef' | 'out'> {
  const vec = relu ? vecRows(c, relu.g, relu.y) : c % 4 === 0;
  const name = `bn_bwd_apply_${vec ? 'v4' : 's'}_r${rowsPer}`;
  const body = (g: string) =>
    applyBody(
      vec,
      rowsPer,
      `let mean = ${vec ? 'vec4<f32>(stats[c4], stats[c4 + 1u], stats[c4 + 2u], stats[c4 + 3u])' : 'stats[c4]'};
  let a = ${vec ? 'vec4<f32>(coef[c4], coef[c4 + 1u], coef[c4 + 2u], coef[c4 + 3u])' : 'coef[c4]'};
  let b = ${vec ? 'vec4<f32>(coef[u.c + c4], coef[u.c + c4 + 1u], coef[u.c + c4 + 2u], coef[u.c + c4 + 3u])' : 'coef[u.c + c4]'};
  let cc = ${vec ? 'vec4<f32>(coef[2u * u.c + c4], coef[2u * u.c + c4 + 1u], coef[2u * u.c + c4 + 2u], coef[2u * u.c + c4 + 3u])' : 'coef[2u * u.c + c4]'};`,
      `out[i] = a * ${g} + b * (x[i] - mean) + cc;`,
    );
  if (!relu) return applyLaunch(declared(name, () => applySignature(vec, APPLY_U, ['x', 'g', 'stats', 'coef']), () => body('g[i]')), m, c, vec, rowsPer);
  const spec = declared(`${name}_relu`, () => applySignature(vec, BWD_APPLY_RELU_U, ['x', 'g', 'y', 'stats', 'coef'], { g: ['gs', 'go'], y: ['ys', 'yo'] }), () =>
    body(reluGrad(`g[${at('g')}]`, `y[${at('y')}]`, vec ? 'vec4<f32>(0.0)' : '0.0')),
  );
  return applyLaunch(spec, m, c, vec, rowsPer, { gs: relu.g.stride, go: relu.g.offset, ys: relu.y.stride, yo: relu.y.offset });
}
