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
// backward after relu_grad) where they read g: no relu_grad pass and no masked copy of g.
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
/** The backward reduction's bindings; with `relu` it also reads the fused op's output y. */
function bwdReduceSignature(relu: boolean) {
  const b: Record<string, BindingDecl<typeof REDUCE_U>> = {};
  for (const v of relu ? ['x', 'g', 'y'] : ['x', 'g']) b[v] = f32('read', rows);
  b.stats = f32('read', (u: Reduce) => 2 * u.c);
  b.out = f32('write', (u: Reduce) => u.chunks * 2 * u.c);
  return signature(`bn_bwd_reduce${relu ? '_relu' : ''}`, REDUCE_U, b);
}
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
// Elementwise passes over n = m * cv channel vectors (cv = c / 4 in the vec4 kernels).
const APPLY_U = { n: 'u32', cv: 'u32', c: 'u32' } as const;
type Apply = UniformValues<typeof APPLY_U>;
const PER_CHANNEL: Record<string, number> = { stats: 2, gamma: 1, beta: 1, coef: 3 };

/** Inputs x, g and y are activations (vec4 lanes in the vec4 kernels), the rest per-channel f32 rows. */
function applySignature(vec: boolean, inputs: readonly string[]) {
  const T = vec ? 'vec4<f32>' : 'f32';
  const all = (u: Apply) => (u.n / u.cv) * u.c;
  const b: Record<string, BindingDecl<typeof APPLY_U>> = {};
  for (const v of inputs) b[v] = v === 'x' || v === 'g' || v === 'y' ? { type: T, access: 'read', len: all } : f32('read', (u: Apply) => PER_CHANNEL[v] * u.c);
  b.out = { type: T, access: 'write', len: all };
  return signature('bn_apply', APPLY_U, b);
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

function applyBody(vec: boolean, body: string): string {
  // Per-channel parameters are f32 arrays; a vec4 lane gathers 4 consecutive channels.
  const ch = (a: string) => (vec ? `vec4<f32>(${a}[c4], ${a}[c4 + 1u], ${a}[c4 + 2u], ${a}[c4 + 3u])` : `${a}[c4]`);
  return `
${flatMain(WG, 'u.n', 'i')}
  let c4 = (i % u.cv) * ${vec ? 4 : 1}u;
  ${body.replace(/CH\((\w+)(?:, (\w+))?\)/g, (_m, a: string, off?: string) => ch(off ? `${a}_${off}` : a))}
}`;
}

function applyLaunch<B extends string>(spec: DeclaredSpec<typeof APPLY_U>, m: number, c: number, vec: boolean): Launch<B> {
  const cv = vec ? c / 4 : c;
  const n = m * cv;
  return launchOf(spec, { n, cv, c }, grid1d(Math.ceil(n / WG))) as Launch<B>;
}

/**
 * y = (x - mean) * invstd * gamma + beta, with `relu` max(y, 0) in the same pass (inference: one
 * read and one write of the activation instead of two each). Buffers: x, stats [2, C], gamma, beta, y.
 */
export function bnApplyLaunch(m: number, c: number, relu = false): Launch<'x' | 'stats' | 'gamma' | 'beta' | 'out'> {
  const vec = c % 4 === 0;
  const inputs = ['x', 'stats', 'gamma', 'beta'];
  const spec = declared(`bn_apply_${vec ? 'v4' : 's'}${relu ? '_relu' : ''}`, () => applySignature(vec, inputs), () =>
    applyBody(
      vec,
      `let mean = ${vec ? 'vec4<f32>(stats[c4], stats[c4 + 1u], stats[c4 + 2u], stats[c4 + 3u])' : 'stats[c4]'};
  let inv = ${vec ? 'vec4<f32>(stats[u.c + c4], stats[u.c + c4 + 1u], stats[u.c + c4 + 2u], stats[u.c + c4 + 3u])' : 'stats[u.c + c4]'};
  let y = (x[i] - mean) * inv * CH(gamma) + CH(beta);
  out[i] = ${relu ? `max(y, ${vec ? 'vec4<f32>(0.0)' : '0.0'})` : 'y'};`,
    ),
  );
  return applyLaunch(spec, m, c, vec);
}

/**
 * Partial backward sums: out [chunks, 2, C] = (sum g, sum g*(x - mean)). Buffers: x, g, stats, out;
 * with `relu`, also y (the fused output), and g is taken where y > 0 only.
 */
export function bnBackwardReduceLaunch(m: number, c: number, chunks: number): Launch<'x' | 'g' | 'stats' | 'out'>;
export function bnBackwardReduceLaunch(m: number, c: number, chunks: number, relu: true): Launch<'x' | 'g' | 'y' | 'stats' | 'out'>;
export function bnBackwardReduceLaunch(m: number, c: number, chunks: number, relu = false): Launch<'x' | 'g' | 'y' | 'stats' | 'out'> {
  const spec = declared(`bn_bwd_reduce${relu ? '_relu' : ''}`, () => bwdReduceSignature(relu), () => `
${CHUNK}
  let mean = stats[ch];
  var sg = 0.0;
  var sgx = 0.0;
  for (var r = r0; r < r1; r++) {
    let gv = ${relu ? reluGrad('g[r * u.c + ch]', 'y[r * u.c + ch]') : 'g[r * u.c + ch]'};
    sg += gv;
    sgx += gv * (x[r * u.c + ch] - mean);
  }
  out[k * 2u * u.c + ch] = sg;
  out[k * 2u * u.c + u.c + ch] = sgx;
}`);
  return launch(spec, m, c, chunks);
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

/** dx = a*g + b*(x - mean) + c. Buffers: x, g, stats, coef, dx; with `relu` also y, g masked as in the reduction. */
export function bnBackwardApplyLaunch(m: number, c: number): Launch<'x' | 'g' | 'stats' | 'coef' | 'out'>;
export function bnBackwardApplyLaunch(m: number, c: number, relu: true): Launch<'x' | 'g' | 'y' | 'stats' | 'coef' | 'out'>;
export function bnBackwardApplyLaunch(m: number, c: number, relu = false): Launch<'x' | 'g' | 'y' | 'stats' | 'coef' | 'out'> {
  const vec = c % 4 === 0;
  const inputs = relu ? ['x', 'g', 'y', 'stats', 'coef'] : ['x', 'g', 'stats', 'coef'];
  const g = relu ? reluGrad('g[i]', 'y[i]', vec ? 'vec4<f32>(0.0)' : '0.0') : 'g[i]';
  const spec = declared(`bn_bwd_apply_${vec ? 'v4' : 's'}${relu ? '_relu' : ''}`, () => applySignature(vec, inputs), () =>
    applyBody(
      vec,
      `let mean = ${vec ? 'vec4<f32>(stats[c4], stats[c4 + 1u], stats[c4 + 2u], stats[c4 + 3u])' : 'stats[c4]'};
  let a = ${vec ? 'vec4<f32>(coef[c4], coef[c4 + 1u], coef[c4 + 2u], coef[c4 + 3u])' : 'coef[c4]'};
  let b = ${vec ? 'vec4<f32>(coef[u.c + c4], coef[u.c + c4 + 1u], coef[u.c + c4 + 2u], coef[u.c + c4 + 3u])' : 'coef[u.c + c4]'};
  let cc = ${vec ? 'vec4<f32>(coef[2u * u.c + c4], coef[2u * u.c + c4 + 1u], coef[2u * u.c + c4 + 2u], coef[2u * u.c + c4 + 3u])' : 'coef[2u * u.c + c4]'};
  out[i] = a * ${g} + b * (x[i] - mean) + cc;`,
    ),
  );
  return applyLaunch(spec, m, c, vec);
}
