// CPU reference of bilinear resize over NHWC (kernels/resize.wgsl.ts), PyTorch's
// upsample_bilinear2d without scale factors, float64; the gradient scatters the same weights.
import { nd, type Nd } from './nd.js';

/** For each output index along an axis: input indices i0, i1 and the weight l of i1. */
export function sourceIndices(inSize: number, outSize: number, alignCorners: boolean): { i0: number; i1: number; l: number }[] {
  const scale = alignCorners ? (outSize > 1 ? (inSize - 1) / (outSize - 1) : 0) : inSize / outSize;
  return Array.from({ length: outSize }, (_, d) => {
    const src = alignCorners ? d * scale : Math.max((d + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
    return { i0, i1, l: src - i0 };
  });
}

function visit(x: Nd, size: [number, number], alignCorners: boolean, fn: (o: number, xi: number, wt: number) => void): number[] {
  const [n, h, w, c] = x.shape;
  const [ho, wo] = size;
  const ys = sourceIndices(h, ho, alignCorners);
  const xs = sourceIndices(w, wo, alignCorners);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++)
        for (let ch = 0; ch < c; ch++) {
          const o = ((b * ho + oy) * wo + ox) * c + ch;
          const { i0: y0, i1: y1, l: ly } = ys[oy];
          const { i0: x0, i1: x1, l: lx } = xs[ox];
          const at = (yy: number, xx: number) => ((b * h + yy) * w + xx) * c + ch;
          fn(o, at(y0, x0), (1 - ly) * (1 - lx));
          fn(o, at(y0, x1), (1 - ly) * lx);
          fn(o, at(y1, x0), ly * (1 - lx));
          fn(o, at(y1, x1), ly * lx);
        }
  return [n, ho, wo, c];
}

export function resizeRef(x: Nd, size: [number, number], alignCorners: boolean): Nd {
  const y = nd([x.shape[0], size[0], size[1], x.shape[3]]);
  visit(x, size, alignCorners, (o, xi, wt) => (y.data[o] += wt * x.data[xi]));
  return y;
}

export function resizeGradRef(x: Nd, size: [number, number], alignCorners: boolean, g: Nd): Nd {
  const dx = nd(x.shape);
  visit(x, size, alignCorners, (o, xi, wt) => (dx.data[xi] += wt * g.data[o]));
  return dx;
}
