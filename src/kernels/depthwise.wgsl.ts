// Depthwise convolution (groups == Cin == Cout) over NHWC: each output channel reads only its own
// input channel, so it is no GEMM at all; an invocation owns TP output pixels along a row times 4
// channels (vec4 when C % 4 == 0) and loads each tap's weight vec4 once for its TP pixels.
// Weight layout [kh, kw, 1, C] (the HWIO layout of conv2d with Cin/groups = 1).
// Like conv2d.wgsl.ts, forward and input gradient share one kernel through the source-coordinate
// map pos = dst * mul + add + tap * tapStep (valid when pos % div == 0, 0 <= pos/div < size); the
// input gradient of a depthwise conv uses the same weight (no transpose: Cin/groups is 1).
// The weight gradient dw[tap, c] = sum_m x[src(m, tap), c] * gy[m, c] walks output rows without
// bounds checks (as conv2d-backward.wgsl.ts) and splits rows into chunks summed in a second pass.
import { flatMain, grid1d, unflatten, type Launch } from './kernel.js';
import { declared, launchOf, signature, type DeclaredSpec, type UniformValues } from './signature.js';
import type { ConvExtents, ConvWindow } from './geometry.js';
import { WGRAD_COLUMNS } from './conv2d-backward.wgsl.js';

const WG = 64;
const TP = 4;

export interface DepthwiseGeometry extends ConvExtents {
  channels: number;
}

// cv: channel vectors (of 4 in the vec4 kernels); lengths count f32 elements.
const FWD_U = {
  batch: 'u32', srcH: 'u32', srcW: 'u32', dstH: 'u32',
  dstW: 'u32', kh: 'u32', kw: 'u32', cv: 'u32',
  mulY: 'i32', addY: 'i32', tapY: 'i32', divY: 'u32',
  mulX: 'i32', addX: 'i32', tapX: 'i32', divX: 'u32',
  tilesX: 'u32', total: 'u32',
} as const;
const WGRAD_U = {
  h: 'u32', w: 'u32', ho: 'u32', wo: 'u32',
  kw: 'u32', taps: 'u32', cv: 'u32', chunks: 'u32',
  rowsPerChunk: 'u32', nRows: 'u32', total: 'u32',
  sy: 'i32', sx: 'i32', py: 'i32', px: 'i32',
  dy: 'i32', dx: 'i32',
} as const;

/** src [batch, srcH, srcW, C], w [kh, kw, C], [bias [C]], out [batch, dstH, dstW, C]. */
function fwdSignature(vec: boolean, bias: boolean) {
  const type = vec ? 'vec4<f32>' : 'f32';
  const lanes = vec ? 4 : 1;
  return signature('depthwise', FWD_U, {
    src: { type, access: 'read', len: (u) => u.batch * u.srcH * u.srcW * u.cv * lanes },
    wt: { type, access: 'read', len: (u) => u.kh * u.kw * u.cv * lanes },
    ...(bias ? { bias: { type, access: 'read', len: (u: UniformValues<typeof FWD_U>) => u.cv * lanes } as const } : {}),
    out: { type, access: 'write', len: (u) => u.batch * u.dstH * u.dstW * u.cv * lanes },
  });
}

/** x, gy, and out [chunks, taps, C] partial sums (`total` = chunks * taps * cv). */
function wgradSignature(vec: boolean) {
  const type = vec ? 'vec4<f32>' : 'f32';
  return signature('depthwise_wgrad', WGRAD_U, {
    xm: { type, access: 'read' },
    gm: { type, access: 'read' },
    out: { type, access: 'write', len: (u) => u.total * (vec ? 4 : 1) },
  });
}

function fwdSpec(vec: boolean, bias: boolean): DeclaredSpec<typeof FWD_U> {
  const T = vec ? 'vec4<f32>' : 'f32';
  const px = [...Array(TP).keys()];
  return declared(`depthwise_${vec ? 'v4' : 's'}${bias ? '_bias' : ''}`, () => fwdSignature(vec, bias), () => `
${flatMain(WG, 'u.total')}
  // channel block fastest: neighbouring lanes read neighbouring addresses.
  ${unflatten('t', [['c', 'u.cv'], ['xt', 'u.tilesX']], 'row')}
  let oy = row % u.dstH;
  let img = (row / u.dstH) * u.srcH;
  let x0 = xt * ${TP}u;
  let by = i32(oy) * u.mulY + u.addY;
  ${px.map((p) => `let bx${p} = i32(x0 + ${p}u) * u.mulX + u.addX;\n  var acc${p} = ${T}(0.0);`).join('\n  ')}
  for (var i = 0u; i < u.kh; i++) {
    let py = by + i32(i) * u.tapY;
    if (py < 0 || (u32(py) % u.divY) != 0u || u32(py) / u.divY >= u.srcH) { continue; }
    let rowBase = (img + u32(py) / u.divY) * u.srcW;
    for (var j = 0u; j < u.kw; j++) {
      let w = wt[(i * u.kw + j) * u.cv + c];
      ${px
        .map(
          (p) => `{
        let q = bx${p} + i32(j) * u.tapX;
        if (q >= 0 && (u32(q) % u.divX) == 0u && u32(q) / u.divX < u.srcW) {
          acc${p} += src[(rowBase + u32(q) / u.divX) * u.cv + c] * w;
        }
      }`,
        )
        .join('\n      ')}
    }
  }
  let o = row * u.dstW;
  ${px.map((p) => `if (x0 + ${p}u < u.dstW) { out[(o + x0 + ${p}u) * u.cv + c] = acc${p}${bias ? ' + bias[c]' : ''}; }`).join('\n  ')}
}
`);
}

/** Forward or input-gradient launch (buffers: src, w, [bias], out [batch, dstH, dstW, C]). */
export function depthwiseLaunch(g: DepthwiseGeometry, bias: boolean): Launch {
  const vec = g.channels % 4 === 0;
  const cv = vec ? g.channels / 4 : g.channels;
  const tilesX = Math.ceil(g.dstW / TP);
  const total = g.batch * g.dstH * tilesX * cv;
  const u = {
    batch: g.batch, srcH: g.srcH, srcW: g.srcW, dstH: g.dstH,
    dstW: g.dstW, kh: g.kh, kw: g.kw, cv,
    mulY: g.y.mul, addY: g.y.add, tapY: g.y.tap, divY: g.y.div,
    mulX: g.x.mul, addX: g.x.add, tapX: g.x.tap, divX: g.x.div,
    tilesX, total,
  };
  return launchOf(fwdSpec(vec, bias), u, grid1d(Math.ceil(total / WG)));
}

function wgradSpec(vec: boolean): DeclaredSpec<typeof WGRAD_U> {
  const T = vec ? 'vec4<f32>' : 'f32';
  return declared(`depthwise_wgrad_${vec ? 'v4' : 's'}`, () => wgradSignature(vec), () => `
${flatMain(WG, 'u.total')}
  ${unflatten('t', [['c', 'u.cv'], ['tap', 'u.taps']], 'chunk')}
  let i = i32(tap / u.kw);
  let j = i32(tap % u.kw);
  ${WGRAD_COLUMNS}
  var acc0 = ${T}(0.0);
  var acc1 = ${T}(0.0);
  let row0 = chunk * u.rowsPerChunk;
  let row1 = min(row0 + u.rowsPerChunk, u.nRows);
  let xStep = u32(u.sx) * u.cv;
  for (var row = row0; row < row1; row++) {
    let n = row / u.ho;
    let iy = i32(row % u.ho) * u.sy - u.py + i * u.dy;
    if (iy < 0 || iy >= i32(u.h)) { continue; }
    let ix0 = i32(xLo) * u.sx - u.px + j * u.dx;
    var xa = ((n * u.h + u32(iy)) * u.w + u32(ix0)) * u.cv + c;
    var ga = (row * u.wo + xLo) * u.cv + c;
    var ox = xLo;
    for (; ox + 1u < xHi; ox += 2u) {
      acc0 += xm[xa] * gm[ga];
      acc1 += xm[xa + xStep] * gm[ga + u.cv];
      xa += 2u * xStep;
      ga += 2u * u.cv;
    }
    if (ox < xHi) { acc0 += xm[xa] * gm[ga]; }
  }
  out[(chunk * u.taps + tap) * u.cv + c] = acc0 + acc1;
}
`);
}

export interface DepthwiseWgradGeometry extends ConvWindow {
  channels: number;
}

/** Weight-gradient launch (buffers: x, gy, out [chunks, kh*kw, C] partial sums). */
export function depthwiseWgradLaunch(g: DepthwiseWgradGeometry, chunks: number): Launch {
  const vec = g.channels % 4 === 0;
  const cv = vec ? g.channels / 4 : g.channels;
  const nRows = g.batch * g.ho;
  const rowsPerChunk = Math.ceil(nRows / chunks);
  if (Math.ceil(nRows / rowsPerChunk) !== chunks) throw new Error('depthwiseWgradLaunch: chunk count leaves empty chunks');
  const taps = g.kh * g.kw;
  const total = cv * taps * chunks;
  const u = {
    h: g.h, w: g.w, ho: g.ho, wo: g.wo,
    kw: g.kw, taps, cv, chunks,
    rowsPerChunk, nRows, total,
    sy: g.stride[0], sx: g.stride[1], py: g.padding[0], px: g.padding[1],
    dy: g.dilation[0], dx: g.dilation[1],
  };
  return launchOf(wgradSpec(vec), u, grid1d(Math.ceil(total / WG)));
}
