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
import { declared, launchOf, signature, type UniformValues } from './signature.js';
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

/** Buffers: x, out [n, ho, wo, c], argmax (i32, same shape). */
export function maxPoolLaunch(g: PoolGeometry): Launch<'x' | 'out' | 'arg'> {
  const spec = declared('maxpool_fwd', MAX_FWD, () => `
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.total) { return; }
  ${unflatten('t', [['ch', 'u.c'], ['ox', 'u.wo', 'i32'], ['oy', 'u.ho', 'i32']], 'n')}
  var best = -3.4028234663852886e38;
  var at = -1;
  for (var i = 0; i < u.kh; i++) {
    let iy = oy * u.sy - u.py + i;
    if (iy < 0 || iy >= i32(u.h)) { continue; }
    for (var j = 0; j < u.kw; j++) {
      let ix = ox * u.sx - u.px + j;
      if (ix < 0 || ix >= i32(u.w)) { continue; }
      let v = x[((n * u.h + u32(iy)) * u.w + u32(ix)) * u.c + ch];
      if (v > best || at < 0) { best = v; at = iy * i32(u.w) + ix; }
    }
  }
  out[t] = best;
  arg[t] = at;
}`);
  const total = g.n * g.ho * g.wo * g.c;
  return launchOf(spec, poolUniforms(g, total), grid1d(Math.ceil(total / WG)));
}

/** As maxPoolLaunch, one invocation per output pixel and every channel of it. */
export function maxPoolPixelsLaunch(g: PoolGeometry): Launch<'x' | 'out' | 'arg'> {
  const spec = declared('maxpool_fwd_px', MAX_FWD, () => `
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.total) { return; }
  ${unflatten('t', [['ox', 'u.wo', 'i32'], ['oy', 'u.ho', 'i32']], 'n')}
  let iy0 = oy * u.sy - u.py;
  let ix0 = ox * u.sx - u.px;
  for (var ch = 0u; ch < u.c; ch++) {
    var best = -3.4028234663852886e38;
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
    out[t * u.c + ch] = best;
    arg[t * u.c + ch] = at;
  }
}`);
  const total = g.n * g.ho * g.wo;
  return launchOf(spec, poolUniforms(g, total, g.c), grid1d(Math.ceil(total / WG)));
}

/** Buffers: gy [n, ho, wo, c], argmax, dx [n, h, w, c]. */
export function maxPoolBackwardLaunch(g: PoolGeometry): Launch<'gy' | 'arg' | 'dx'> {
  const spec = declared('maxpool_bwd', MAX_BWD, () => `
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.total) { return; }
  ${unflatten('t', [['ch', 'u.c'], ['ix', 'u.w', 'i32'], ['iy', 'u.h', 'i32']], 'n')}
  let me = iy * i32(u.w) + ix;
  // Windows oy with oy*s - p <= iy <= oy*s - p + k - 1.
  let y0 = max(0, (iy + u.py - u.kh + u.sy) / u.sy);
  let y1 = min(i32(u.ho) - 1, (iy + u.py) / u.sy);
  let x0 = max(0, (ix + u.px - u.kw + u.sx) / u.sx);
  let x1 = min(i32(u.wo) - 1, (ix + u.px) / u.sx);
  var acc = 0.0;
  for (var oy = y0; oy <= y1; oy++) {
    for (var ox = x0; ox <= x1; ox++) {
      let o = ((n * u.ho + u32(oy)) * u.wo + u32(ox)) * u.c + ch;
      if (arg[o] == me) { acc += gy[o]; }
    }
  }
  dx[t] = acc;
}`);
  const total = g.n * g.h * g.w * g.c;
  return launchOf(spec, poolUniforms(g, total), grid1d(Math.ceil(total / WG)));
}

/** As maxPoolBackwardLaunch, one invocation per input pixel and every channel of it. */
export function maxPoolBackwardPixelsLaunch(g: PoolGeometry): Launch<'gy' | 'arg' | 'dx'> {
  const spec = declared('maxpool_bwd_px', MAX_BWD, () => `
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.total) { return; }
  ${unflatten('t', [['ix', 'u.w', 'i32'], ['iy', 'u.h', 'i32']], 'n')}
  let me = iy * i32(u.w) + ix;
  let y0 = max(0, (iy + u.py - u.kh + u.sy) / u.sy);
  let y1 = min(i32(u.ho) - 1, (iy + u.py) / u.sy);
  let x0 = max(0, (ix + u.px - u.kw + u.sx) / u.sx);
  let x1 = min(i32(u.wo) - 1, (ix + u.px) / u.sx);
  for (var ch = 0u; ch < u.c; ch++) {
    var acc = 0.0;
    for (var oy = y0; oy <= y1; oy++) {
      for (var ox = x0; ox <= x1; ox++) {
        let o = ((n * u.ho + u32(oy)) * u.wo + u32(ox)) * u.c + ch;
        if (arg[o] == me) { acc += gy[o]; }
      }
    }
    dx[t * u.c + ch] = acc;
  }
}`);
  const total = g.n * g.h * g.w;
  return launchOf(spec, poolUniforms(g, total, g.c), grid1d(Math.ceil(total / WG)));
}

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
