// SLIC (Achanta et al., TPAMI 2012): k-means in (CIELAB, x, y) with each centre searching a 2S x 2S
// window, then small disconnected pieces merged into a neighbour. The paper's second algorithm.
import { rgbToLab } from './colour.js';
import type { RegionMap } from './region-map.js';
import { relabelConnected } from './relabel.js';

export interface SlicOptions {
  /** Grid step S in pixels (target region side). */
  regionSize: number;
  /** Colour vs space trade-off m; larger gives squarer regions. */
  compactness: number;
  iterations: number;
}

export const SLIC_DEFAULTS: SlicOptions = { regionSize: 32, compactness: 10, iterations: 10 };

export function slicSuperpixels(rgb: Uint8Array, width: number, height: number, options: Partial<SlicOptions> = {}): RegionMap {
  const o: SlicOptions = { ...SLIC_DEFAULTS, ...options };
  const lab = rgbToLab(rgb);
  const nx = Math.max(1, Math.round(width / o.regionSize));
  const ny = Math.max(1, Math.round(height / o.regionSize));
  const sx = width / nx;
  const sy = height / ny;
  const S = Math.sqrt(sx * sy);
  const K = nx * ny;
  // Centre state: L, a, b, x, y.
  const centres = new Float64Array(K * 5);
  const gradient = (x: number, y: number): number => {
    const at = (xx: number, yy: number, c: number): number =>
      lab[3 * (Math.min(height - 1, Math.max(0, yy)) * width + Math.min(width - 1, Math.max(0, xx))) + c]!;
    let g = 0;
    for (let c = 0; c < 3; c++) g += (at(x + 1, y, c) - at(x - 1, y, c)) ** 2 + (at(x, y + 1, c) - at(x, y - 1, c)) ** 2;
    return g;
  };
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      let cx = Math.min(width - 1, Math.floor((i + 0.5) * sx));
      let cy = Math.min(height - 1, Math.floor((j + 0.5) * sy));
      // Seed at the lowest gradient in the 3x3 neighbourhood, off edges.
      let best = Infinity;
      let bx = cx;
      let by = cy;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = cx + dx;
          const yy = cy + dy;
          if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
          const g = gradient(xx, yy);
          if (g < best) {
            best = g;
            bx = xx;
            by = yy;
          }
        }
      }
      cx = bx;
      cy = by;
      const k = j * nx + i;
      const p = cy * width + cx;
      centres.set([lab[3 * p]!, lab[3 * p + 1]!, lab[3 * p + 2]!, cx, cy], 5 * k);
    }
  }
  const labels = new Int32Array(width * height).fill(-1);
  const dist = new Float64Array(width * height);
  const spatial = (o.compactness / S) ** 2;
  const sums = new Float64Array(K * 6);
  for (let it = 0; it < o.iterations; it++) {
    dist.fill(Infinity);
    for (let k = 0; k < K; k++) {
      const [L, A, B, cx, cy] = [centres[5 * k]!, centres[5 * k + 1]!, centres[5 * k + 2]!, centres[5 * k + 3]!, centres[5 * k + 4]!];
      const x0 = Math.max(0, Math.floor(cx - S));
      const x1 = Math.min(width - 1, Math.ceil(cx + S));
      const y0 = Math.max(0, Math.floor(cy - S));
      const y1 = Math.min(height - 1, Math.ceil(cy + S));
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const p = y * width + x;
          const dl = lab[3 * p]! - L;
          const da = lab[3 * p + 1]! - A;
          const db = lab[3 * p + 2]! - B;
          const d = dl * dl + da * da + db * db + spatial * ((x - cx) ** 2 + (y - cy) ** 2);
          if (d < dist[p]!) {
            dist[p] = d;
            labels[p] = k;
          }
        }
      }
    }
    sums.fill(0);
    for (let p = 0; p < labels.length; p++) {
      const k = labels[p]!;
      if (k < 0) continue;
      const x = p % width;
      sums[6 * k]! += lab[3 * p]!;
      sums[6 * k + 1]! += lab[3 * p + 1]!;
      sums[6 * k + 2]! += lab[3 * p + 2]!;
      sums[6 * k + 3]! += x;
      sums[6 * k + 4]! += (p - x) / width;
      sums[6 * k + 5]! += 1;
    }
    for (let k = 0; k < K; k++) {
      const n = sums[6 * k + 5]!;
      if (n === 0) continue;
      for (let c = 0; c < 5; c++) centres[5 * k + c] = sums[6 * k + c]! / n;
    }
  }
  return relabelConnected(labels, width, height, Math.max(1, Math.floor((S * S) / 4)));
}
