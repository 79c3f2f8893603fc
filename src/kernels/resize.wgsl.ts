// Bilinear resize of NHWC tensors (PyTorch's upsample_bilinear2d semantics, align_corners false and
// true). Source coordinate of output index d along an axis of sizes in -> out:
//   align_corners: src = d * (in - 1) / (out - 1)   (0 when out == 1)
//   otherwise:     src = max((d + 0.5) * in / out - 0.5, 0)
// i0 = floor(src), i1 = i0 + (i0 < in - 1), weights (1 - l, l) with l = src - i0.
// Backward is a gather: an input pixel walks a conservative range of output rows and columns that
// may sample it (from the inverse map, widened by one), recomputes each output's (i0, i1, l) with
// the forward's own float formula, and sums the weights that land on it: no atomics, no scatter.
// When C is a multiple of 4 an invocation handles 4 channels (vec4 loads and stores): the tap
// weights, which depend only on the pixel, are computed once for 4 channels instead of once per
// channel, and a software adapter issues a quarter of the loads (docs/engine.md, "Software adapters").
import { ENTRY_PARAMS, grid1d, linearIndex, unflatten, type Launch } from './kernel.js';
import { declared, launchOf, signature, type UniformValues } from './signature.js';
import type { NhwcResample } from './geometry.js';

const WG = 64;

export interface ResizeGeometry extends NhwcResample {
  alignCorners: boolean;
  /**
   * Forward output's pixel stride and channel offset in elements (default c and 0): the output
   * may be a channel slice of a wider NHWC tensor (a part of a concatenation).
   */
  oPix?: number;
  oOff?: number;
}

/**
 * WGSL: (i0, i1, lambda) of a bilinear tap pair from the source coordinate `src` along an axis of
 * input size n. Shared with the pseudo-label kernels, which sample features the same way.
 */
export const BILINEAR_SPAN = `
fn span(src: f32, n: u32) -> vec3<f32> {
  let i0 = min(u32(floor(src)), n - 1u);
  let i1 = select(i0, i0 + 1u, i0 < n - 1u);
  return vec3<f32>(f32(i0), f32(i1), src - f32(i0));
}`;

// c, oPix and oOff count channel vectors (of 4 in the vec4 kernels).
const UNIFORMS = {
  total: 'u32', h: 'u32', w: 'u32', c: 'u32',
  ho: 'u32', wo: 'u32', align: 'u32',
  scaleY: 'f32', scaleX: 'f32', invY: 'f32', invX: 'f32',
  oPix: 'u32', oOff: 'u32',
} as const;
const FORWARD = (type: 'f32' | 'vec4<f32>') => signature('resize_fwd', UNIFORMS, { x: { type, access: 'read' }, out: { type, access: 'write' } });
const BACKWARD = (type: 'f32' | 'vec4<f32>') => signature('resize_bwd', UNIFORMS, { gy: { type, access: 'read' }, dx: { type, access: 'write' } });

const COMMON = `${BILINEAR_SPAN}
// (i0, i1, lambda) of output index d along an axis with input size n and scale s.
fn source(d: u32, n: u32, s: f32) -> vec3<f32> {
  var src: f32;
  if (u.align != 0u) {
    src = f32(d) * s;
  } else {
    src = max((f32(d) + 0.5) * s - 0.5, 0.0);
  }
  return span(src, n);
}
// Weight of input index i in output index d (0 when d does not sample i).
fn weight(d: u32, i: u32, n: u32, s: f32) -> f32 {
  let q = source(d, n, s);
  var wt = 0.0;
  if (u32(q.x) == i) { wt += 1.0 - q.z; }
  if (u32(q.y) == i) { wt += q.z; }
  return wt;
}
// Output indices [lo, hi] that may sample input index i (inverse map, widened by one).
fn outRange(i: u32, out: u32, inv: f32) -> vec2<u32> {
  var lo: f32;
  var hi: f32;
  if (u.align != 0u) {
    lo = (f32(i) - 1.0) * inv;
    hi = (f32(i) + 1.0) * inv;
  } else {
    lo = (f32(i) - 0.5) * inv - 0.5;
    hi = (f32(i) + 1.5) * inv - 0.5;
  }
  let a = u32(max(floor(lo) - 1.0, 0.0));
  let b = u32(min(ceil(hi) + 1.0, f32(out) - 1.0));
  return vec2<u32>(a, b);
}`;

/** Channel vectors per pixel: c / 4 (vec4 kernels) or c (scalar ones). */
const vec4Of = (g: ResizeGeometry) => g.c % 4 === 0 && (g.oPix ?? g.c) % 4 === 0 && (g.oOff ?? 0) % 4 === 0;
const lanesOf = (g: ResizeGeometry) => (vec4Of(g) ? g.c / 4 : g.c);

function uniforms(g: ResizeGeometry, total: number): UniformValues<typeof UNIFORMS> {
  // Forward scales (output -> input) and inverse scales (input -> output) of each axis.
  const scale = (inp: number, out: number) => (g.alignCorners ? (out > 1 ? (inp - 1) / (out - 1) : 0) : inp / out);
  const inv = (inp: number, out: number) => (g.alignCorners ? (inp > 1 ? (out - 1) / (inp - 1) : out) : out / inp);
  const lanes = lanesOf(g);
  return {
    total, h: g.h, w: g.w, c: lanes, ho: g.ho, wo: g.wo, align: g.alignCorners ? 1 : 0,
    scaleY: scale(g.h, g.ho), scaleX: scale(g.w, g.wo), invY: inv(g.h, g.ho), invX: inv(g.w, g.wo),
    oPix: ((g.oPix ?? g.c) / g.c) * lanes, oOff: ((g.oOff ?? 0) / g.c) * lanes,
  };
}

/** Buffers: x [n, h, w, c], out [n, ho, wo, oPix] (channels [oOff, oOff + c) written). */
export function resizeLaunch(g: ResizeGeometry): Launch<'x' | 'out'> {
  const vec = vec4Of(g);
  const spec = declared(`resize_fwd${vec ? '_v4' : ''}`, () => FORWARD(vec ? 'vec4<f32>' : 'f32'), () => `${COMMON}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.total) { return; }
  ${unflatten('t', [['ch', 'u.c'], ['ox', 'u.wo'], ['oy', 'u.ho']], 'n')}
  let sy = source(oy, u.h, u.scaleY);
  let sx = source(ox, u.w, u.scaleX);
  let r0 = (n * u.h + u32(sy.x)) * u.w;
  let r1 = (n * u.h + u32(sy.y)) * u.w;
  let x0 = u32(sx.x);
  let x1 = u32(sx.y);
  let top = x[(r0 + x0) * u.c + ch] * (1.0 - sx.z) + x[(r0 + x1) * u.c + ch] * sx.z;
  let bottom = x[(r1 + x0) * u.c + ch] * (1.0 - sx.z) + x[(r1 + x1) * u.c + ch] * sx.z;
  out[((n * u.ho + oy) * u.wo + ox) * u.oPix + u.oOff + ch] = top * (1.0 - sy.z) + bottom * sy.z;
}`);
  const total = g.n * g.ho * g.wo * lanesOf(g);
  return launchOf(spec, uniforms(g, total), grid1d(Math.ceil(total / WG)));
}

/** Buffers: gy [n, ho, wo, c], dx [n, h, w, c]. */
export function resizeBackwardLaunch(g: ResizeGeometry): Launch<'gy' | 'dx'> {
  const T = vec4Of(g) ? 'vec4<f32>' : 'f32';
  const spec = declared(`resize_bwd${vec4Of(g) ? '_v4' : ''}`, () => BACKWARD(T), () => `${COMMON}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.total) { return; }
  ${unflatten('t', [['ch', 'u.c'], ['ix', 'u.w'], ['iy', 'u.h']], 'n')}
  let ry = outRange(iy, u.ho, u.invY);
  let rx = outRange(ix, u.wo, u.invX);
  var acc = ${T}(0.0);
  for (var oy = ry.x; oy <= ry.y; oy++) {
    let wy = weight(oy, iy, u.h, u.scaleY);
    if (wy == 0.0) { continue; }
    var row = ${T}(0.0);
    for (var ox = rx.x; ox <= rx.y; ox++) {
      let wx = weight(ox, ix, u.w, u.scaleX);
      if (wx != 0.0) { row += wx * gy[((n * u.ho + oy) * u.wo + ox) * u.c + ch]; }
    }
    acc += wy * row;
  }
  dx[t] = acc;
}`);
  const total = g.n * g.h * g.w * lanesOf(g);
  return launchOf(spec, uniforms(g, total), grid1d(Math.ceil(total / WG)));
}
