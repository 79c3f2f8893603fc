// The two pictures of a query (paper, Appendix A, Fig. 10): a square window of the image mostly
// centred on the region, enlarged towards 360 px with the region's outline in red, and the whole
// image, small, with the window marked, for context.
import type { RgbImage } from '../../data/png.js';
import type { RegionMap } from '../../superpixels/region-map.js';

/** The paper's patches are 360 px squares; a window is enlarged by a whole factor up to that. */
export const PATCH_PIXELS = 360;
/** Context images are shrunk by a whole factor to at most this many pixels wide. */
const CONTEXT_WIDTH = 320;
const RED = [230, 25, 25] as const;
const WHITE = [255, 255, 255] as const;

/** Bounding box [x0, y0, x1, y1) and pixel count of one region. */
export function regionBox(map: RegionMap, region: number): { bbox: [number, number, number, number]; pixels: number } {
  let x0 = map.width, y0 = map.height, x1 = 0, y1 = 0, n = 0;
  for (let y = 0; y < map.height; y++) {
    for (let x = 0; x < map.width; x++) {
      if (map.ids[y * map.width + x] !== region) continue;
      n++;
      if (x < x0) x0 = x;
      if (y < y0) y0 = y;
      if (x + 1 > x1) x1 = x + 1;
      if (y + 1 > y1) y1 = y + 1;
    }
  }
  if (n === 0) throw new Error(`region ${region} has no pixels (the map has ${map.count} regions)`);
  return { bbox: [x0, y0, x1, y1], pixels: n };
}

/** A square twice the region's larger side (at least 32 px), centred on it, moved inside the image. */
export function queryWindow(bbox: readonly [number, number, number, number], width: number, height: number): { x: number; y: number; size: number } {
  const [x0, y0, x1, y1] = bbox;
  const size = Math.min(Math.max(2 * Math.max(x1 - x0, y1 - y0), 32), width, height);
  const clamp = (v: number, hi: number) => Math.max(0, Math.min(v, hi));
  return { x: clamp(Math.round((x0 + x1 - size) / 2), width - size), y: clamp(Math.round((y0 + y1 - size) / 2), height - size), size };
}

function put(out: Uint8Array, i: number, c: readonly number[]): void {
  out[3 * i] = c[0]!;
  out[3 * i + 1] = c[1]!;
  out[3 * i + 2] = c[2]!;
}

/**
 * The window enlarged by nearest neighbour, with the region's boundary drawn: a red line 2 output
 * pixels wide just inside the region and a white one just outside, so it shows on any colour.
 */
export function regionPatch(image: RgbImage, map: RegionMap, region: number, win: { x: number; y: number; size: number }): RgbImage {
  const f = Math.max(1, Math.floor(PATCH_PIXELS / win.size));
  const n = win.size * f;
  const out = new Uint8Array(n * n * 3);
  // Whether the output pixel (X, Y) shows a pixel of the region; outside the window counts as not.
  const inside = (X: number, Y: number) => {
    if (X < 0 || Y < 0 || X >= n || Y >= n) return false;
    return map.ids[(win.y + Math.floor(Y / f)) * map.width + win.x + Math.floor(X / f)] === region;
  };
  const near = (X: number, Y: number, r: number, want: boolean) => {
    for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if ((dx || dy) && inside(X + dx, Y + dy) === want) return true;
    return false;
  };
  for (let Y = 0; Y < n; Y++) {
    for (let X = 0; X < n; X++) {
      const o = Y * n + X;
      const src = (win.y + Math.floor(Y / f)) * image.width + win.x + Math.floor(X / f);
      const within = inside(X, Y);
      if (within && near(X, Y, 2, false)) put(out, o, RED);
      else if (!within && near(X, Y, 1, true)) put(out, o, WHITE);
      else out.set(image.data.subarray(3 * src, 3 * src + 3), 3 * o);
    }
  }
  return { width: n, height: n, data: out };
}

/** The whole image shrunk to at most CONTEXT_WIDTH px wide, the window outlined in red. */
export function contextImage(image: RgbImage, win: { x: number; y: number; size: number }): RgbImage {
  const s = Math.max(1, Math.ceil(image.width / CONTEXT_WIDTH));
  const w = Math.ceil(image.width / s);
  const h = Math.ceil(image.height / s);
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = Math.min(y * s, image.height - 1) * image.width + Math.min(x * s, image.width - 1);
      out.set(image.data.subarray(3 * src, 3 * src + 3), 3 * (y * w + x));
    }
  }
  const x0 = Math.floor(win.x / s), y0 = Math.floor(win.y / s);
  const x1 = Math.min(w - 1, Math.ceil((win.x + win.size) / s) - 1), y1 = Math.min(h - 1, Math.ceil((win.y + win.size) / s) - 1);
  for (let x = x0; x <= x1; x++) for (const y of [y0, y1]) put(out, y * w + x, RED);
  for (let y = y0; y <= y1; y++) for (const x of [x0, x1]) put(out, y * w + x, RED);
  return { width: w, height: h, data: out };
}
