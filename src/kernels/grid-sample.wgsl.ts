// Per-pixel bilinear sampling of a coarser grid inside a kernel (align_corners false, the same
// float formula as resizeBilinear), shared by every kernel that reads the model's outputs at image
// pixels: acquisition statistics, the confusion matrix, label maps and the pseudo-label kernels.
// The model's logits and features are 1/4 of the image's resolution; sampling them where a pixel
// needs them means the 16x larger full-resolution tensor (K channels per pixel: 160 MiB for a
// 1024x2048 image with 20 outputs, over lavapipe's 128 MiB binding limit) is never stored.
// A grid as large as the image samples each pixel's own cell (tap weights 0 and 1), so full-
// resolution rows are the special case and give the values they hold, bit for bit.
import { BILINEAR_SPAN } from './resize.wgsl.js';

/** A grid of gh x gw cells read at the pixels of a width x height image (row-major pixel index). */
export interface SampleGrid {
  width: number;
  height: number;
  gh: number;
  gw: number;
}

/**
 * WGSL: `Taps` (the four cells around a pixel and the two weights) and
 * `grid_taps(x, width, gh, gw, sy, sx)` for pixel index x, with sy = gh / height, sx = gw / width.
 */
export const GRID_TAPS = `${BILINEAR_SPAN}
struct Taps { cell: vec4<u32>, lx: f32, ly: f32 }
// Half-pixel source coordinate (align_corners false), as resizeBilinear.
fn grid_axis(d: u32, n: u32, s: f32) -> vec3<f32> {
  return span(max((f32(d) + 0.5) * s - 0.5, 0.0), n);
}
fn grid_taps(x: u32, width: u32, gh: u32, gw: u32, sy: f32, sx: f32) -> Taps {
  let ay = grid_axis(x / width, gh, sy);
  let ax = grid_axis(x % width, gw, sx);
  let r0 = u32(ay.x) * gw;
  let r1 = u32(ay.y) * gw;
  return Taps(vec4<u32>(r0 + u32(ax.x), r0 + u32(ax.y), r1 + u32(ax.x), r1 + u32(ax.y)), ax.z, ay.z);
}`;

/**
 * WGSL: `fn name(t: Taps, c: u32) -> f32`, channel c of the storage array `buf` (cells of `stride`
 * values) sampled at taps t, in resizeBilinear's order of operations.
 */
export function gridRead(name: string, buf: string, stride: string): string {
  return `
fn ${name}(t: Taps, c: u32) -> f32 {
  let o = t.cell * ${stride} + vec4<u32>(c);
  let top = ${buf}[o.x] * (1.0 - t.lx) + ${buf}[o.y] * t.lx;
  let bottom = ${buf}[o.z] * (1.0 - t.lx) + ${buf}[o.w] * t.lx;
  return top * (1.0 - t.ly) + bottom * t.ly;
}`;
}

/** Uniform values of a grid read by `grid_taps(x, u.width, u.gh, u.gw, u.sy, u.sx)`. */
export function gridValues(g: SampleGrid): { width: number; gh: number; gw: number; sy: number; sx: number } {
  return { width: g.width, gh: g.gh, gw: g.gw, sy: g.gh / g.height, sx: g.gw / g.width };
}

/**
 * The grid of a tensor of shape `shape` read at `npix` image pixels: rows [npix, C] at the image's
 * resolution (each pixel its own cell), or a grid [h, w, C] or [1, h, w, C] at any
 * resolution, which needs the image's `width` unless it is the image's own size. `what` names the
 * tensor in errors.
 */
export function gridOf(shape: readonly number[], npix: number, width: number | undefined, what: string): SampleGrid {
  const c = shape[shape.length - 1];
  if (shape.length === 2) {
    if (shape[0] !== npix) throw new Error(`${what} [${shape}] do not match ${npix} pixels`);
    // Without a width, a one-row image; with one, the image itself. Both read each pixel's own row.
    if (!width || npix % width !== 0) return { width: npix, height: 1, gh: 1, gw: npix };
    return { width, height: npix / width, gh: npix / width, gw: width };
  }
  if (!(shape.length === 3 || (shape.length === 4 && shape[0] === 1))) throw new Error(`${what} must be [pixels, C], [h, w, C] or [1, h, w, C], got [${shape}]`);
  if (!(c >= 1)) throw new Error(`${what} [${shape}] have no channels`);
  const [gh, gw] = shape.slice(shape.length - 3, shape.length - 1);
  const w = width ?? (gh * gw === npix ? gw : 0);
  if (!w || npix % w !== 0) throw new Error(`${what} [${shape}] are a grid: give the image width (${npix} pixels)`);
  return { width: w, height: npix / w, gh, gw };
}
