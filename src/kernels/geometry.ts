// The spatial extents that several kernels' geometries share (each kernel file adds its own
// channel counts, tiles and offsets).

/**
 * One spatial axis of the source-coordinate map pos = dst * mul + add + tap * tapStep, valid when
 * pos % div == 0 and 0 <= pos / div < size (conv2d.wgsl.ts's header; `tap` is tapStep).
 */
export interface AxisMap {
  mul: number;
  add: number;
  tap: number;
  div: number;
}

/** A convolution pass written as "for each destination pixel, for each tap, find the source pixel". */
export interface ConvExtents {
  batch: number;
  /** Source spatial extent. */
  srcH: number;
  srcW: number;
  /** Destination spatial extent. */
  dstH: number;
  dstW: number;
  kh: number;
  kw: number;
  y: AxisMap;
  x: AxisMap;
}

/** A convolution's window as its weight gradient walks it: input x [batch, h, w], output gy [batch, ho, wo]. */
export interface ConvWindow {
  batch: number;
  /** Input (x) extent and output (gy) extent. */
  h: number;
  w: number;
  ho: number;
  wo: number;
  kh: number;
  kw: number;
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

/** An NHWC map [n, h, w, c] -> [n, ho, wo, c] that keeps the channels (pooling, resizing). */
export interface NhwcResample {
  n: number;
  h: number;
  w: number;
  c: number;
  ho: number;
  wo: number;
}

/** The taps of one parity class along an axis and the stride-1 source map they follow. */
export interface ClassTaps {
  /** First tap index and the step between taps; count taps in all. */
  first: number;
  step: number;
  count: number;
  map: AxisMap;
}

/**
 * One parity class of a strided input gradient along an axis: the destination positions
 * y = div * q + r (q = 0 .. size - 1), the taps that reach them (first, first + step, ...) and the
 * stride-1 map of that sub-convolution (div 1); taps null when none reaches the class (its gradient
 * is zero). `m` is the gather map of the whole input gradient (mul 1, add = padding,
 * tap = -dilation, div = stride), `dst` its destination extent, `k` the kernel's taps on the axis.
 * Tap ky reaches y when y + add + ky * tap is a multiple of div, so for y = div * q + r the source
 * is q + (r + add + first * tap) / div + t * (step * tap) / div for ky = first + t * step
 * (docs/engine.md, "Strided input gradient by parity class").
 */
export function parityClass(r: number, m: AxisMap, dst: number, k: number): { size: number; taps: ClassTaps | null } {
  if (m.mul !== 1) throw new Error(`parityClass: needs a gather map with mul 1, got ${m.mul}`);
  const s = m.div;
  const size = r < dst ? Math.floor((dst - 1 - r) / s) + 1 : 0;
  const gcd = (a: number, b: number): number => (b === 0 ? Math.abs(a) : gcd(b, a % b));
  // The condition on ky repeats with period s / gcd(tap, s): one period holds its first solution.
  const step = s / gcd(m.tap, s);
  let first = -1;
  for (let ky = 0; ky < step && first < 0; ky++) if ((((r + m.add + ky * m.tap) % s) + s) % s === 0) first = ky;
  if (first < 0 || first >= k) return { size, taps: null };
  return { size, taps: { first, step, count: Math.ceil((k - first) / step), map: { mul: 1, add: (r + m.add + first * m.tap) / s, tap: (step * m.tap) / s, div: 1 } } };
}
