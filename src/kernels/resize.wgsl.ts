// Bilinear resize of NHWC tensors (PyTorch's upsample_bilinear2d semantics, align_corners false and
// true). Source coordinate of output index d along an axis of sizes in -> out:
//   align_corners: src = d * (in - 1) / (out - 1)   (0 when out == 1)
//   otherwise:     src = max((d + 0.5) * in / out - 0.5, 0)
// i0 = floor(src), i1 = i0 + (i0 < in - 1), weights (1 - l, l) with l = src - i0.
// Backward is a gather: an input pixel walks a conservative range of output rows and columns that
// may sample it (from the inverse map, widened by one), recomputes each output's (i0, i1, l) with
// the forward's own float formula, and sums the weights that land on it: no atomics, no scatter.
// When C is a multiple of 4 the channels are read as vec4 (a software adapter issues a quarter of
// the loads, docs/engine.md "Software adapters"). Two forms of each pass, the same bits:
// - lanes: one invocation per (pixel, channel vector), neighbouring lanes on neighbouring channels
//   (coalesced loads, what a GPU wants);
// - pixels: one invocation per pixel and every channel vector of it, so the pixel's unflatten
//   (integer divisions by uniforms, eight scalar divisions each on lavapipe, docs/performance.md
//   "What a load costs on lavapipe") and its tap weights are computed once per pixel, not once per
//   channel vector (what a software adapter wants).
import { flatMain, grid1d, unflatten, type Launch } from './kernel.js';
import { declared, launchOf, signature, type UniformValues } from './signature.js';
import type { NhwcResample } from './geometry.js';

const WG = 64;

export interface ResizeGeometry extends NhwcResample {
  alignCorners: boolean;
  /**
   * The output side's pixel stride and channel offset in elements (default c and 0): the forward's
   * output, or the backward's gy, may be a channel slice of a wider NHWC tensor (a part of a
   * concatenation, and the gradient of one), written or read in place.
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

// The forward's taps of output pixel (n, oy, ox): input rows r0, r1 (pixel offsets of their
// starts), columns x0, x1, and both axes' lambdas in sy.z and sx.z.
const OUTPUT_TAPS = `let sy = source(oy, u.h, u.scaleY);
  let sx = source(ox, u.w, u.scaleX);
  let r0 = (n * u.h + u32(sy.x)) * u.w;
  let r1 = (n * u.h + u32(sy.y)) * u.w;
  let x0 = u32(sx.x);
  let x1 = u32(sx.y);`;

/** Buffers: x [n, h, w, c], out [n, ho, wo, oPix] (channels [oOff, oOff + c) written). One invocation per channel vector. */
export function resizeLanesLaunch(g: ResizeGeometry): Launch<'x' | 'out'> {
  const vec = vec4Of(g);
  const spec = declared(`resize_fwd${vec ? '_v4' : ''}`, () => FORWARD(vec ? 'vec4<f32>' : 'f32'), () => `${COMMON}
${flatMain(WG, 'u.total')}
  ${unflatten('t', [['ch', 'u.c'], ['ox', 'u.wo'], ['oy', 'u.ho']], 'n')}
  ${OUTPUT_TAPS}
  let top = x[(r0 + x0) * u.c + ch] * (1.0 - sx.z) + x[(r0 + x1) * u.c + ch] * sx.z;
  let bottom = x[(r1 + x0) * u.c + ch] * (1.0 - sx.z) + x[(r1 + x1) * u.c + ch] * sx.z;
  out[((n * u.ho + oy) * u.wo + ox) * u.oPix + u.oOff + ch] = top * (1.0 - sy.z) + bottom * sy.z;
}`);
  const total = g.n * g.ho * g.wo * lanesOf(g);
  return launchOf(spec, uniforms(g, total), grid1d(Math.ceil(total / WG)));
}

/** As resizeLanesLaunch, one invocation per output pixel: the same float expressions, so the same bits. */
export function resizePixelsLaunch(g: ResizeGeometry): Launch<'x' | 'out'> {
  const vec = vec4Of(g);
  const spec = declared(`resize_fwd_px${vec ? '_v4' : ''}`, () => FORWARD(vec ? 'vec4<f32>' : 'f32'), () => `${COMMON}
${flatMain(WG, 'u.total')}
  ${unflatten('t', [['ox', 'u.wo'], ['oy', 'u.ho']], 'n')}
  ${OUTPUT_TAPS}
  let p00 = (r0 + x0) * u.c;
  let p01 = (r0 + x1) * u.c;
  let p10 = (r1 + x0) * u.c;
  let p11 = (r1 + x1) * u.c;
  let o = t * u.oPix + u.oOff;
  for (var ch = 0u; ch < u.c; ch++) {
    let top = x[p00 + ch] * (1.0 - sx.z) + x[p01 + ch] * sx.z;
    let bottom = x[p10 + ch] * (1.0 - sx.z) + x[p11 + ch] * sx.z;
    out[o + ch] = top * (1.0 - sy.z) + bottom * sy.z;
  }
}`);
  const total = g.n * g.ho * g.wo;
  return launchOf(spec, uniforms(g, total), grid1d(Math.ceil(total / WG)));
}

/**
 * Longest output range per axis the pixel gather keeps weights for. `outRange` spans
 * hi - lo = 2 * inv, so it holds at most ceil(2 * inv) + 4 indices (widened by one at each end,
 * floor and ceil adding one more): up to 5.5x upsampling (the decoder's 4x and the logits' resize
 * to the crop fit).
 */
export const GATHER_TAPS = 16;

/** Whether the pixel gather's weight arrays hold both axes' ranges (else the lanes gather must run). */
export function resizeGatherFits(g: ResizeGeometry): boolean {
  const { invY, invX } = uniforms(g, 0);
  // Upper bound on the range's length, with slack for the kernel's f32 rounding of lo and hi (a
  // few ulps of values up to `out`).
  const taps = (inv: number, out: number) => Math.min(Math.ceil(2 * inv + 1e-3 + 1e-6 * out) + 4, out);
  return taps(invY, g.ho) <= GATHER_TAPS && taps(invX, g.wo) <= GATHER_TAPS;
}

/**
 * WGSL: the weights of input index i<a> in outputs r<a>.x..r<a>.y of axis a (into w<a>s, from
 * r<a>.x), and [<a>0, <a>1], the outputs of nonzero weight among them (empty: <a>0 > <a>1).
 */
const axisWeights = (a: 'y' | 'x', n: 'h' | 'w', scale: 'scaleY' | 'scaleX') => `var w${a}s: array<f32, ${GATHER_TAPS}>;
  var ${a}0 = r${a}.y + 1u;
  var ${a}1 = r${a}.x;
  for (var o${a} = r${a}.x; o${a} <= r${a}.y; o${a}++) {
    let wt = weight(o${a}, i${a}, u.${n}, u.${scale});
    w${a}s[o${a} - r${a}.x] = wt;
    if (wt != 0.0) { ${a}0 = min(${a}0, o${a}); ${a}1 = o${a}; }
  }`;

/** Buffers: gy [n, ho, wo, oPix] (channels [oOff, oOff + c) read), dx [n, h, w, c]. One invocation per input pixel; only where resizeGatherFits. */
export function resizeBackwardPixelsLaunch(g: ResizeGeometry): Launch<'gy' | 'dx'> {
  if (!resizeGatherFits(g)) throw new Error(`resizeBackwardPixelsLaunch: ${g.h}x${g.w} -> ${g.ho}x${g.wo} needs more than ${GATHER_TAPS} taps per axis`);
  const T = vec4Of(g) ? 'vec4<f32>' : 'f32';
  // Both axes' weights are computed once per pixel (the lanes form recomputes the x weights inside
  // the y loop, per channel vector), and the ranges are trimmed to the outputs of nonzero weight:
  // the lanes form skips the others, so every sum adds the same terms in the same order (oy outer,
  // ox inner) and gives the same bits.
  const spec = declared(`resize_bwd_px${vec4Of(g) ? '_v4' : ''}`, () => BACKWARD(T), () => `${COMMON}
${flatMain(WG, 'u.total')}
  ${unflatten('t', [['ix', 'u.w'], ['iy', 'u.h']], 'n')}
  let ry = outRange(iy, u.ho, u.invY);
  let rx = outRange(ix, u.wo, u.invX);
  ${axisWeights('y', 'h', 'scaleY')}
  ${axisWeights('x', 'w', 'scaleX')}
  for (var ch = 0u; ch < u.c; ch++) {
    var acc = ${T}(0.0);
    for (var oy = y0; oy <= y1; oy++) {
      let wy = wys[oy - ry.x];
      if (wy == 0.0) { continue; }
      var row = ${T}(0.0);
      let r = (n * u.ho + oy) * u.wo;
      for (var ox = x0; ox <= x1; ox++) {
        let wx = wxs[ox - rx.x];
        if (wx != 0.0) { row += wx * gy[(r + ox) * u.oPix + u.oOff + ch]; }
      }
      acc += wy * row;
    }
    dx[t * u.c + ch] = acc;
  }
}`);
  const total = g.n * g.h * g.w;
  return launchOf(spec, uniforms(g, total), grid1d(Math.ceil(total / WG)));
}

/** Buffers: gy [n, ho, wo, oPix] (channels [oOff, oOff + c) read), dx [n, h, w, c]. One invocation per (input pixel, channel vector), any scale. */
export function resizeBackwardLanesLaunch(g: ResizeGeometry): Launch<'gy' | 'dx'> {
  const T = vec4Of(g) ? 'vec4<f32>' : 'f32';
  const spec = declared(`resize_bwd${vec4Of(g) ? '_v4' : ''}`, () => BACKWARD(T), () => `${COMMON}
${flatMain(WG, 'u.total')}
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
      if (wx != 0.0) { row += wx * gy[((n * u.ho + oy) * u.wo + ox) * u.oPix + u.oOff + ch]; }
    }
    acc += wy * row;
  }
  dx[t] = acc;
}`);
  const total = g.n * g.h * g.w * lanesOf(g);
  return launchOf(spec, uniforms(g, total), grid1d(Math.ceil(total / WG)));
}
