// The bilinear resize forward as it was before the pixel kernels (src/kernels/resize.wgsl.ts at
// eee63e4: one invocation per output pixel and channel vector), frozen here as the oracle that the
// pixel kernel keeps its bits (resize-pixels.test.ts, bench/resize-variants.ts). The per-lane
// backward of that version still ships as the fallback, resizeBackwardLanesLaunch.
import { BILINEAR_SPAN, type ResizeGeometry } from '../../src/kernels/resize.wgsl.js';
import { ENTRY_PARAMS, grid1d, linearIndex, unflatten, type Launch } from '../../src/kernels/kernel.js';
import { declared, launchOf, signature } from '../../src/kernels/signature.js';

const WG = 64;
const UNIFORMS = {
  total: 'u32', h: 'u32', w: 'u32', c: 'u32',
  ho: 'u32', wo: 'u32', align: 'u32',
  scaleY: 'f32', scaleX: 'f32', invY: 'f32', invX: 'f32',
  oPix: 'u32', oOff: 'u32',
} as const;

/** Buffers: x [n, h, w, c], out [n, ho, wo, oPix] (channels [oOff, oOff + c) written). */
export function previousResizeLaunch(g: ResizeGeometry): Launch<'x' | 'out'> {
  const vec = g.c % 4 === 0 && (g.oPix ?? g.c) % 4 === 0 && (g.oOff ?? 0) % 4 === 0;
  const type = vec ? 'vec4<f32>' : 'f32';
  const lanes = vec ? g.c / 4 : g.c;
  const spec = declared(`resize_fwd_previous${vec ? '_v4' : ''}`, () => signature('resize_fwd', UNIFORMS, { x: { type, access: 'read' }, out: { type, access: 'write' } }), () => `${BILINEAR_SPAN}
fn source(d: u32, n: u32, s: f32) -> vec3<f32> {
  var src: f32;
  if (u.align != 0u) {
    src = f32(d) * s;
  } else {
    src = max((f32(d) + 0.5) * s - 0.5, 0.0);
  }
  return span(src, n);
}
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
  const scale = (inp: number, out: number) => (g.alignCorners ? (out > 1 ? (inp - 1) / (out - 1) : 0) : inp / out);
  const inv = (inp: number, out: number) => (g.alignCorners ? (inp > 1 ? (out - 1) / (inp - 1) : out) : out / inp);
  const total = g.n * g.ho * g.wo * lanes;
  const values = {
    total, h: g.h, w: g.w, c: lanes, ho: g.ho, wo: g.wo, align: g.alignCorners ? 1 : 0,
    scaleY: scale(g.h, g.ho), scaleX: scale(g.w, g.wo), invY: inv(g.h, g.ho), invX: inv(g.w, g.wo),
    oPix: ((g.oPix ?? g.c) / g.c) * lanes, oOff: ((g.oOff ?? 0) / g.c) * lanes,
  };
  return launchOf(spec, values, grid1d(Math.ceil(total / WG)));
}
