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
