// Pooling over NHWC tensors, one invocation per output (forward) or input (backward) element,
// channels fastest so neighbouring lanes read neighbouring addresses. Max pool also has a
// per-pixel form (one invocation per pixel, a loop over its channels) for software adapters, where
// the unflatten and window bounds are integer divisions by uniforms, each eight scalar divisions
// (docs/performance.md, "What a load costs on lavapipe"), paid once per pixel instead of once per
// channel; both forms do the same comparisons and sums in the same order, so give the same bits.
// Max pool stores, per output, the flat index y*W + x of its argmax inside the image (the first
// maximum in window scan order, as PyTorch); its backward is a gather: each input pixel walks the
// few output windows that contain it and sums the gradients of those whose argmax it is.
// Global average pool reduces H*W per (n, c); its backward spreads g / (H*W).
import { ENTRY_PARAMS, grid1d, linearIndex, unflatten, type Launch } from './kernel.js';
import { declared, launchOf, signature, type Bindings, type Signature, type UniformValues } from './signature.js';
import type { NhwcResample } from './geometry.js';

const WG = 64;
export interface PoolGeometry extends NhwcResample {
  k: [number, number];
  stride: [number, number];
  padding: [number, number];
}

// total: invocations, one per output (forward) or input (backward) element, or per pixel in the
// per-pixel forms, whose invocations each cover `per` (= c) elements (per = 1 otherwise).
const POOL_U = {
  total: 'u32', h: 'u32', w: 'u32', c: 'u32',
  ho: 'u32', wo: 'u32', kh: 'i32', kw: 'i32',
  sy: 'i32', sx: 'i32', py: 'i32', px: 'i32',
  per: 'u32',
} as const;
const total = (u: UniformValues<typeof POOL_U>): number => u.total * u.per;
const MAX_FWD = signature('maxpool_fwd', POOL_U, {
  x: { type: 'f32', access: 'read' },
  out: { type: 'f32', access: 'write', len: total },
  arg: { type: 'i32', access: 'write', len: total },
});
const MAX_BWD = signature('maxpool_bwd', POOL_U, {
  gy: { type: 'f32', access: 'read' },
  arg: { type: 'i32', access: 'read' },
  dx: { type: 'f32', access: 'write', len: total },
});
const GAP_U = { total: 'u32', hw: 'u32', c: 'u32' } as const;
const GAP_FWD = signature('gap_fwd', GAP_U, {
  x: { type: 'f32', access: 'read', len: (u) => u.total * u.hw },
  out: { type: 'f32', access: 'write', len: (u) => u.total },
});
const GAP_BWD = signature('gap_bwd', GAP_U, {
  g: { type: 'f32', access: 'read', len: (u) => u.total / u.hw },
  dx: { type: 'f32', access: 'write', len: (u) => u.total },
});

function poolUniforms(g: PoolGeometry, total: number, per = 1): UniformValues<typeof POOL_U> {
  const [kh, kw] = g.k;
  const [sy, sx] = g.stride;
  const [py, px] = g.padding;
  return { total, h: g.h, w: g.w, c: g.c, ho: g.ho, wo: g.wo, kh, kw, sy, sx, py, px, per };
}

/**
 * A max-pool kernel in either form: one invocation per element (`ch` from the unflatten) or per
 * pixel (a loop over the channels); `head` follows the pixel's unflatten, `body` handles channel
 * `ch` and writes element `e`.
 */
function maxPoolSpec<B extends Bindings<typeof POOL_U>>(name: string, sig: Signature<typeof POOL_U, B>, pixels: boolean, axes: readonly [string, string, string, string], head: string, body: (e: string) => string) {
  const [xName, xExtent, yName, yExtent] = axes;
  const dims = [[xName, xExtent, 'i32'], [yName, yExtent, 'i32']] as const;
  return declared(`${name}${pixels ? '_px' : ''}`, sig, () => `
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.total) { return; }
  ${unflatten('t', pixels ? dims : [['ch', 'u.c'], ...dims], 'n')}
  ${head}
  ${pixels ? `for (var ch = 0u; ch < u.c; ch++) {
    ${body('t * u.c + ch')}
  }` : body('t')}
}`);
}

// Forward: the window of output (n, oy, ox), channel ch; the first maximum in scan order wins.
const MAX_FWD_HEAD = `let iy0 = oy * u.sy - u.py;
  let ix0 = ox * u.sx - u.px;`;
const maxFwdBody = (e: string) => `var best = -3.4028234663852886e38;
  var at = -1;
  for (var i = 0; i < u.kh; i++) {
    let iy = iy0 + i;
    if (iy < 0 || iy >= i32(u.h)) { continue; }
    for (var j = 0; j < u.kw; j++) {
      let ix = ix0 + j;
      if (ix < 0 || ix >= i32(u.w)) { continue; }
      let v = x[((n * u.h + u32(iy)) * u.w + u32(ix)) * u.c + ch];
      if (v > best || at < 0) { best = v; at = iy * i32(u.w) + ix; }
    }
  }
  out[${e}] = best;
  arg[${e}] = at;`;

// Backward: input pixel (n, iy, ix) gathers the windows oy with oy*s - p <= iy <= oy*s - p + k - 1.
const MAX_BWD_HEAD = `let me = iy * i32(u.w) + ix;
  let y0 = max(0, (iy + u.py - u.kh + u.sy) / u.sy);
  let y1 = min(i32(u.ho) - 1, (iy + u.py) / u.sy);
  let x0 = max(0, (ix + u.px - u.kw + u.sx) / u.sx);
  let x1 = min(i32(u.wo) - 1, (ix + u.px) / u.sx);`;
const maxBwdBody = (e: string) => `var acc = 0.0;
  for (var oy = y0; oy <= y1; oy++) {
    for (var ox = x0; ox <= x1; ox++) {
      let o = ((n * u.ho + u32(oy)) * u.wo + u32(ox)) * u.c + ch;
      if (arg[o] == me) { acc += gy[o]; }
    }
  }
  dx[${e}] = acc;`;

function maxPoolAny(g: PoolGeometry, pixels: boolean): Launch<'x' | 'out' | 'arg'> {
  const spec = maxPoolSpec('maxpool_fwd', MAX_FWD, pixels, ['ox', 'u.wo', 'oy', 'u.ho'], MAX_FWD_HEAD, maxFwdBody);
  const total = g.n * g.ho * g.wo * (pixels ? 1 : g.c);
  return launchOf(spec, poolUniforms(g, total, pixels ? g.c : 1), grid1d(Math.ceil(total / WG)));
}

function maxPoolBackwardAny(g: PoolGeometry, pixels: boolean): Launch<'gy' | 'arg' | 'dx'> {
  const spec = maxPoolSpec('maxpool_bwd', MAX_BWD, pixels, ['ix', 'u.w', 'iy', 'u.h'], MAX_BWD_HEAD, maxBwdBody);
  const total = g.n * g.h * g.w * (pixels ? 1 : g.c);
  return launchOf(spec, poolUniforms(g, total, pixels ? g.c : 1), grid1d(Math.ceil(total / WG)));
}

/** Buffers: x, out [n, ho, wo, c], argmax (i32, same shape). One invocation per output element. */
export const maxPoolLaunch = (g: PoolGeometry) => maxPoolAny(g, false);
/** As maxPoolLaunch, one invocation per output pixel and every channel of it. */
export const maxPoolPixelsLaunch = (g: PoolGeometry) => maxPoolAny(g, true);
/** Buffers: gy [n, ho, wo, c], argmax, dx [n, h, w, c]. One invocation per input element. */
export const maxPoolBackwardLaunch = (g: PoolGeometry) => maxPoolBackwardAny(g, false);
/** As maxPoolBackwardLaunch, one invocation per input pixel and every channel of it. */
export const maxPoolBackwardPixelsLaunch = (g: PoolGeometry) => maxPoolBackwardAny(g, true);

/** Mean over H*W: buffers x [n, h, w, c], out [n, c]. */
export function globalAvgPoolLaunch(n: number, hw: number, c: number): Launch<'x' | 'out'> {
  const spec = declared('gap_fwd', GAP_FWD, () => `
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.total) { return; }
  let ch = t % u.c;
  let n = t / u.c;
  var acc = 0.0;
  var at = n * u.hw * u.c + ch;
  for (var i = 0u; i < u.hw; i++) {
    acc += x[at];
    at += u.c;
  }
  out[t] = acc / f32(u.hw);
}`);
  const total = n * c;
  return launchOf(spec, { total, hw, c }, grid1d(Math.ceil(total / WG)));
}

/** dx[n, p, c] = g[n, c] / hw: buffers g [n, c], dx [n, h, w, c]. */
export function globalAvgPoolBackwardLaunch(n: number, hw: number, c: number): Launch<'g' | 'dx'> {
  const spec = declared('gap_bwd', GAP_BWD, () => `
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.total) { return; }
  let ch = t % u.c;
  let n = t / (u.c * u.hw);
  dx[t] = g[n * u.c + ch] / f32(u.hw);
}`);
  const total = n * hw * c;
  return launchOf(spec, { total, hw, c }, grid1d(Math.ceil(total / WG)));
}
