// CPU reference of the convolution family (kernels/conv2d.wgsl.ts, conv2d-backward.wgsl.ts,
// depthwise.wgsl.ts), float64 and plain loops: the spec the GPU kernels are tested against.
// Layouts: x [N, H, W, Cin] (NHWC), w [kh, kw, Cin/groups, Cout] (HWIO), bias [Cout],
// out [N, Hout, Wout, Cout]. Output channel co belongs to group floor(co / (Cout/groups)) and sees
// that group's Cin/groups input channels.
import { nd, type Nd } from './nd.js';

export interface Conv2dParams {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

/** floor((in + 2p - d(k-1) - 1) / s) + 1, the output extent of one spatial axis. */
export function convOutSize(size: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
}

interface Geometry {
  n: number;
  h: number;
  w: number;
  cin: number;
  kh: number;
  kw: number;
  cinG: number;
  cout: number;
  coutG: number;
  ho: number;
  wo: number;
}

function geometry(x: Nd, w: Nd, p: Conv2dParams): Geometry {
  const [n, h, wd, cin] = x.shape;
  const [kh, kw, cinG, cout] = w.shape;
  if (cin % p.groups !== 0 || cout % p.groups !== 0 || cinG !== cin / p.groups) {
    throw new Error(`conv2dRef: x [${x.shape}] and w [${w.shape}] do not fit groups=${p.groups}`);
  }
  return {
    n,
    h,
    w: wd,
    cin,
    kh,
    kw,
    cinG,
    cout,
    coutG: cout / p.groups,
    ho: convOutSize(h, kh, p.stride[0], p.padding[0], p.dilation[0]),
    wo: convOutSize(wd, kw, p.stride[1], p.padding[1], p.dilation[1]),
  };
}

/**
 * Visits every (output element, tap, input channel) triple that contributes, with the flat indices
 * of the output, input and weight elements: forward and both gradients are sums over this set.
 */
function forEachTerm(g: Geometry, p: Conv2dParams, fn: (o: number, xi: number, wi: number) => void): void {
  for (let b = 0; b < g.n; b++) {
    for (let oy = 0; oy < g.ho; oy++) {
      for (let ox = 0; ox < g.wo; ox++) {
        for (let co = 0; co < g.cout; co++) {
          const grp = Math.floor(co / g.coutG);
          const o = ((b * g.ho + oy) * g.wo + ox) * g.cout + co;
          for (let i = 0; i < g.kh; i++) {
            const iy = oy * p.stride[0] - p.padding[0] + i * p.dilation[0];
            if (iy < 0 || iy >= g.h) continue;
            for (let j = 0; j < g.kw; j++) {
              const ix = ox * p.stride[1] - p.padding[1] + j * p.dilation[1];
              if (ix < 0 || ix >= g.w) continue;
              for (let c = 0; c < g.cinG; c++) {
                const xi = ((b * g.h + iy) * g.w + ix) * g.cin + grp * g.cinG + c;
                const wi = ((i * g.kw + j) * g.cinG + c) * g.cout + co;
                fn(o, xi, wi);
              }
            }
          }
        }
      }
    }
  }
}

export function conv2dRef(x: Nd, w: Nd, bias: Nd | null, p: Conv2dParams): Nd {
  const g = geometry(x, w, p);
  const out = nd([g.n, g.ho, g.wo, g.cout]);
  forEachTerm(g, p, (o, xi, wi) => (out.data[o] += x.data[xi] * w.data[wi]));
  if (bias) for (let o = 0; o < out.data.length; o++) out.data[o] += bias.data[o % g.cout];
  return out;
}

/** Gradients of conv2dRef given the output gradient `gy`: dx, dw and (always) dbias. */
export function conv2dGradRef(x: Nd, w: Nd, gy: Nd, p: Conv2dParams): { dx: Nd; dw: Nd; db: Nd } {
  const g = geometry(x, w, p);
  const dx = nd(x.shape);
  const dw = nd(w.shape);
  const db = nd([g.cout]);
  forEachTerm(g, p, (o, xi, wi) => {
    dx.data[xi] += gy.data[o] * w.data[wi];
    dw.data[wi] += gy.data[o] * x.data[xi];
  });
  for (let o = 0; o < gy.data.length; o++) db.data[o % g.cout] += gy.data[o];
  return { dx, dw, db };
}
