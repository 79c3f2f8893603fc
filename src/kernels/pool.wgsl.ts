// Pooling over NHWC tensors, one invocation per output (forward) or input (backward) element,
// channels fastest so neighbouring lanes read neighbouring addresses.
// Max pool stores, per output, the flat index y*W + x of its argmax inside the image (the first
// maximum in window scan order, as PyTorch); its backward is a gather: each input pixel walks the
// few output windows that contain it and sums the gradients of those whose argmax it is.
// Global average pool reduces H*W per (n, c); its backward spreads g / (H*W).
import { ENTRY_PARAMS, Uniforms, cachedSpec, grid1d, linearIndex, unflatten, type Launch } from './kernel.js';

const WG = 64;
export interface PoolGeometry {
  n: number;
  h: number;
  w: number;
  c: number;
  ho: number;
  wo: number;
  k: [number, number];
  stride: [number, number];
  padding: [number, number];
}

const POOL_U = `struct U {
  total: u32, h: u32, w: u32, c: u32,
  ho: u32, wo: u32, kh: i32, kw: i32,
  sy: i32, sx: i32, py: i32, px: i32,
}`;

function poolUniforms(g: PoolGeometry, total: number): ArrayBuffer {
  return new Uniforms()
    .u32(total, g.h, g.w, g.c)
    .u32(g.ho, g.wo)
    .i32(g.k[0], g.k[1], g.stride[0], g.stride[1], g.padding[0], g.padding[1])
    .pack();
}

/** Buffers: x, out [n, ho, wo, c], argmax (i32, same shape). */
export function maxPoolLaunch(g: PoolGeometry): Launch {
  const spec = cachedSpec('maxpool_fwd', ['read', 'read_write', 'read_write'], () => `
${POOL_U}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> arg: array<i32>;
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
  return { spec, uniforms: poolUniforms(g, total), workgroups: grid1d(Math.ceil(total / WG)) };
}

/** Buffers: gy [n, ho, wo, c], argmax, dx [n, h, w, c]. */
export function maxPoolBackwardLaunch(g: PoolGeometry): Launch {
  const spec = cachedSpec('maxpool_bwd', ['read', 'read', 'read_write'], () => `
${POOL_U}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read> arg: array<i32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
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
  return { spec, uniforms: poolUniforms(g, total), workgroups: grid1d(Math.ceil(total / WG)) };
}

/** Mean over H*W: buffers x [n, h, w, c], out [n, c]. */
export function globalAvgPoolLaunch(n: number, hw: number, c: number): Launch {
  const spec = cachedSpec('gap_fwd', ['read', 'read_write'], () => `
struct U { total: u32, hw: u32, c: u32, _p0: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
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
  return { spec, uniforms: new Uniforms().u32(total, hw, c, 0).pack(), workgroups: grid1d(Math.ceil(total / WG)) };
}

/** dx[n, p, c] = g[n, c] / hw: buffers g [n, c], dx [n, h, w, c]. */
export function globalAvgPoolBackwardLaunch(n: number, hw: number, c: number): Launch {
  const spec = cachedSpec('gap_bwd', ['read', 'read_write'], () => `
struct U { total: u32, hw: u32, c: u32, _p0: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.total) { return; }
  let ch = t % u.c;
  let n = t / (u.c * u.hw);
  dx[t] = g[n * u.c + ch] / f32(u.hw);
}`);
  const total = n * hw * c;
  return { spec, uniforms: new Uniforms().u32(total, hw, c, 0).pack(), workgroups: grid1d(Math.ceil(total / WG)) };
}
