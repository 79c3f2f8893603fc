// CPU reference of max pool and global average pool over NHWC (kernels/pool.wgsl.ts), float64.
import { nd, type Nd } from './nd.js';

export interface PoolRefParams {
  k: [number, number];
  stride: [number, number];
  padding: [number, number];
}

/** Output and, per output, the flat input index (n, y, x, c) of its first maximum. */
export function maxPoolRef(x: Nd, p: PoolRefParams): { y: Nd; arg: Int32Array } {
  const [n, h, w, c] = x.shape;
  const ho = Math.floor((h + 2 * p.padding[0] - p.k[0]) / p.stride[0]) + 1;
  const wo = Math.floor((w + 2 * p.padding[1] - p.k[1]) / p.stride[1]) + 1;
  const y = nd([n, ho, wo, c]);
  const arg = new Int32Array(y.data.length);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++)
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let i = 0; i < p.k[0]; i++) {
            const iy = oy * p.stride[0] - p.padding[0] + i;
            if (iy < 0 || iy >= h) continue;
            for (let j = 0; j < p.k[1]; j++) {
              const ix = ox * p.stride[1] - p.padding[1] + j;
              if (ix < 0 || ix >= w) continue;
              const idx = ((b * h + iy) * w + ix) * c + ch;
              if (x.data[idx] > best || at < 0) {
                best = x.data[idx];
                at = idx;
              }
            }
          }
          const o = ((b * ho + oy) * wo + ox) * c + ch;
          y.data[o] = best;
          arg[o] = at;
        }
  return { y, arg };
}

export function maxPoolGradRef(x: Nd, p: PoolRefParams, g: Nd): Nd {
  const { arg } = maxPoolRef(x, p);
  const dx = nd(x.shape);
  for (let o = 0; o < arg.length; o++) dx.data[arg[o]] += g.data[o];
  return dx;
}

export function globalAvgPoolRef(x: Nd): Nd {
  const [n, h, w, c] = x.shape;
  const y = nd([n, 1, 1, c]);
  for (let i = 0; i < x.data.length; i++) {
    const b = Math.floor(i / (h * w * c));
    y.data[b * c + (i % c)] += x.data[i] / (h * w);
  }
  return y;
}

export function globalAvgPoolGradRef(x: Nd, g: Nd): Nd {
  const [, h, w, c] = x.shape;
  const dx = nd(x.shape);
  for (let i = 0; i < x.data.length; i++) dx.data[i] = g.data[Math.floor(i / (h * w * c)) * c + (i % c)] / (h * w);
  return dx;
}
