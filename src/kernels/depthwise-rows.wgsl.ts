// Depthwise convolution, row form: the forward and stride-1 input gradient of depthwise.wgsl.ts
// rewritten for how a software adapter runs a workgroup. On lavapipe the invocations are the SIMD
// lanes of one thread, and a storage load whose address differs per lane runs lane by lane and
// component by component, each with a bounds check, so the cost is the number of loaded elements,
// not the arithmetic (docs/performance.md, "Convolution kernels where the time is"). Here lanes
// take neighbouring channels (f32 each) and an invocation owns up to ROW_PIXELS output pixels of
// one row; the kernel size, the column multiplier and the tap step are compiled in, so the
// invocation loads each source column of its window once and reuses it for every (pixel, tap)
// pair that reads it (at dilation 6 and 32 pixels, per tap row and channel: 44 + 3 loads for 96
// multiply-adds, against 96 + 24 in depthwise.wgsl.ts), with no integer division. Strided input
// gradients (divisor > 1) stay with depthwise.wgsl.ts.
//
// Results are bit for bit those of depthwise.wgsl.ts for finite weights: every output adds its
// products in the same order (tap rows, then tap columns), and a source outside the image
// contributes 0 * w = +-0, which leaves the sum unchanged (a sum that starts at +0 is never -0),
// where depthwise.wgsl.ts skips it.
import { ENTRY_PARAMS, grid1d, linearIndex, unflatten, type Launch } from './kernel.js';
import { declared, launchOf, signature, type UniformValues } from './signature.js';
import type { DepthwiseGeometry } from './depthwise.wgsl.js';

const WG = 64;

const range = (n: number) => [...Array(n).keys()];

// kh, kw: compiled into each variant, declared for the weight's size check.
const ROWS_U = {
  batch: 'u32', srcH: 'u32', srcW: 'u32', dstH: 'u32',
  dstW: 'u32', c: 'u32', tilesX: 'u32', total: 'u32',
  mulY: 'i32', addY: 'i32', tapY: 'i32', addX: 'i32',
  kh: 'u32', kw: 'u32',
} as const;

/** src [batch, srcH, srcW, C], wt [kh, kw, C], [bias [C]], out [batch, dstH, dstW, C]: the bindings of depthwise.wgsl.ts. */
function rowsSignature(bias: boolean) {
  return signature('depthwise_rows', ROWS_U, {
    src: { type: 'f32', access: 'read', len: (u) => u.batch * u.srcH * u.srcW * u.c },
    wt: { type: 'f32', access: 'read', len: (u) => u.kh * u.kw * u.c },
    ...(bias ? { bias: { type: 'f32', access: 'read', len: (u: UniformValues<typeof ROWS_U>) => u.c } as const } : {}),
    out: { type: 'f32', access: 'write', len: (u) => u.batch * u.dstH * u.dstW * u.c },
  });
}

/** Output pixels along x per invocation of the forward / input gradient (tuned on lavapipe). */
export const ROW_PIXELS = 32;

/** Whether the row kernel can run this forward or input-gradient geometry. */
export function depthwiseRowsFits(g: DepthwiseGeometry): boolean {
  return g.y.div === 1 && g.x.div === 1;
}

/** Forward or unit-divisor input-gradient launch (buffers: src, w, [bias], out [batch, dstH, dstW, C]). */
export function depthwiseRowsLaunch(g: DepthwiseGeometry, bias: boolean, pixels = ROW_PIXELS): Launch {
  // Narrow outputs (the ASPP of small crops) take a narrower tile: the lanes' pixels past the row
  // end would only be masked off.
  const tp = Math.min(pixels, Math.ceil(g.dstW / 4) * 4);
  if (!depthwiseRowsFits(g)) throw new Error('depthwiseRowsLaunch: needs unit divisors (forward or stride-1 input gradient)');
  const { kh: KH, kw: KW } = g;
  const MX = g.x.mul;
  const TX = g.x.tap;
  const name = `depthwise_rows_k${KH}x${KW}_m${MX}_t${TX}_p${tp}${bias ? '_bias' : ''}`;
  const spec = declared(name, () => rowsSignature(bias), () => {
    // Source column of (pixel p, tap column j) relative to pixel 0's first tap: p * MX + j * TX.
    const off = (p: number, j: number) => p * MX + j * TX;
    // Columns in the order that gives each accumulator its taps in increasing j, as
    // depthwise.wgsl.ts adds them (the input gradient's tap step is negative).
    const cols = [...new Set(range(tp).flatMap((p) => range(KW).map((j) => off(p, j))))].sort((a, b) => (TX > 0 ? a - b : b - a));
    // Tap rows in a runtime loop (their code differs only in the row and the weights): a third of
    // the unrolled body, half of lavapipe's compile time (3.8 s against 7.5 s for 32 pixels under
    // load), and faster (docs/performance.md).
    const taps = `for (var i = 0; i < ${KH}; i++) {
    let py = by + i * u.tapY;
    if (py >= 0 && py < i32(u.srcH)) {
      let a0 = (i32(img + u32(py)) * i32(u.srcW) + bx) * i32(u.c) + i32(c);
      ${range(KW)
        .map((j) => `let w${j} = wt[(u32(i) * ${KW}u + ${j}u) * u.c + c];`)
        .join('\n      ')}
      ${cols
        .map((o) => {
          const uses = range(tp).flatMap((p) => range(KW).filter((j) => off(p, j) === o).map((j) => `acc${p} += v * w${j};`));
          return `{
        let q = bx + ${o};
        var v = 0.0;
        if (q >= 0 && q < i32(u.srcW)) { v = src[u32(a0 + ${o} * i32(u.c))]; }
        ${uses.join(' ')}
      }`;
        })
        .join('\n      ')}
    }
  }`;
    return `
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.total) { return; }
  // channel fastest: the lanes of a subgroup share their pixels (C a multiple of 8), so its
  // branches agree.
  ${unflatten('t', [['c', 'u.c'], ['xt', 'u.tilesX']], 'row')}
  let oy = row % u.dstH;
  let img = (row / u.dstH) * u.srcH;
  let x0 = xt * ${tp}u;
  let by = i32(oy) * u.mulY + u.addY;
  let bx = i32(x0) * ${MX} + u.addX;
  ${range(tp)
    .map((p) => `var acc${p} = 0.0;`)
    .join(' ')}
  ${taps}
  let o = (row * u.dstW + x0) * u.c + c;
  ${range(tp)
    .map((p) => `if (x0 + ${p}u < u.dstW) { out[o + ${p}u * u.c] = acc${p}${bias ? ' + bias[c]' : ''}; }`)
    .join('\n  ')}
}
`;
  });
  const tilesX = Math.ceil(g.dstW / tp);
  const total = g.batch * g.dstH * tilesX * g.channels;
  const u = {
    batch: g.batch, srcH: g.srcH, srcW: g.srcW, dstH: g.dstH,
    dstW: g.dstW, c: g.channels, tilesX, total,
    mulY: g.y.mul, addY: g.y.add, tapY: g.y.tap, addX: g.x.add,
    kh: g.kh, kw: g.kw,
  };
  return launchOf(spec, u, grid1d(Math.ceil(total / WG)));
}
