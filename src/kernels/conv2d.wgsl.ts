// Convolution as an implicit GEMM over NHWC tensors (no im2col buffer): row m of the GEMM is an
// output pixel (n, y, x), column c an output channel, and the reduction runs over the kernel taps
// and, inside each tap, over the source channels, which are contiguous in NHWC, so A is read as
// vec4 along channels. Register-blocked as in matmul.wgsl.ts (docs/engine.md, "Software adapters"): each
// invocation keeps a TM x TN tile of outputs in registers, consecutive lanes take consecutive row
// tiles; a tile size is a per-adapter choice (ConvTile), not a constant.
//
// The same kernel computes the forward pass and the input gradient, because both are "for each
// destination pixel, for each tap, find the source pixel": the source coordinate along an axis is
//   pos = dst * mul + add + tap * tapStep,  valid when pos % div == 0 and 0 <= pos / div < size.
// Forward: mul = stride, add = -padding, tapStep = dilation, div = 1 (source = x).
// Input gradient (a transposed conv, gather-style): dst = input pixel, source = output gradient,
// mul = 1, add = padding, tapStep = -dilation, div = stride; B is the per-tap transposed weight.
// (The engine runs strided input gradients as stride-1 ones per parity class, div = 1, with a
// subset of the taps (tap0/tapI/tapJ) and an output pixel map (outH/outW/oMul/oAdd); div > 1
// stays correct for any caller.)
// Groups are handled by the launcher (one dispatch per group over channel offsets/strides).
import { ENTRY_PARAMS, grid1d, linearIndex, type Launch } from './kernel.js';
import { launchOf, signature, specOf, type DeclaredSpec, type UniformValues } from './signature.js';
import type { ConvExtents } from './geometry.js';

export interface ConvTile {
  /** Output pixels per invocation. */
  tm: number;
  /** Output channels per invocation (a multiple of 4). */
  tn: number;
}

const WG = 64;

/**
 * WGSL: the destination pixel of tile row r (its clamped GEMM row `mr<r>`) and where its taps start
 * in the source: column xo, row q = n * dstH + y, base coordinates (by, bx) and image row offset img.
 */
export function rowSource(r: number): string {
  return `let xo${r} = mr${r} % u.dstW;
  let q${r} = mr${r} / u.dstW;
  let by${r} = i32(q${r} % u.dstH) * u.mulY + u.addY;
  let bx${r} = i32(xo${r}) * u.mulX + u.addX;
  let img${r} = (q${r} / u.dstH) * u.srcH;
  let orow${r} = ((q${r} / u.dstH) * u.outH + (q${r} % u.dstH) * u.oMulY + u.oAddY) * u.outW + xo${r} * u.oMulX + u.oAddX;`;
}

/** Where tap (i, j)'s rows of B start: first + i * row + j * col elements. */
export interface TapWalk {
  first: number;
  row: number;
  col: number;
}

/**
 * Destination pixel (n, y, x) is written at pixel (n, y * mulY + addY, x * mulX + addX) of an
 * output of h x w pixels: one parity class of a strided input gradient (docs/engine.md,
 * "Strided input gradient by parity class").
 */
export interface OutMap {
  h: number;
  w: number;
  mulY: number;
  addY: number;
  mulX: number;
  addX: number;
}

/** A is [batch, srcH, srcW, aPix], out is [batch, dstH, dstW, oPix]. */
export interface ImplicitGemm extends ConvExtents {
  /** Channels of A read per tap (the K of one tap). */
  kc: number;
  /** Columns computed (output channels of this dispatch). */
  ncols: number;
  /** A's pixel stride and channel offset. */
  aPix: number;
  aOff: number;
  /** B is [kh*kw, kc, bRow] with columns from bOff. */
  bRow: number;
  bOff: number;
  /**
   * B stored transposed (subgroup kernel only): element (tap, k, col) at bOff + (tap * ncols + col)
   * * bRow + k, so the input gradient reads the forward's HWIO weight in place instead of a
   * per-tap transposed copy.
   */
  bTransposed?: boolean;
  /** Output pixel stride and channel offset. */
  oPix: number;
  oOff: number;
  /** A subset of the taps (default: all kh x kw in order, each tap's kc rows after the last's). */
  taps?: TapWalk;
  /** Output pixels other than the destination grid itself (default: out is [batch, dstH, dstW]). */
  outMap?: OutMap;
  /** Bias element of column 0 (when a bias is bound). */
  biasOff: number;
}

const specs = new Map<string, IgemmSpec>();

function spec(tile: ConvTile, vecA: boolean, vecB: boolean, bias: boolean, valid: boolean): IgemmSpec {
  const { tm: TM, tn: TN } = tile;
  if (TN % 4 !== 0) throw new Error(`conv tile tn=${TN} must be a multiple of 4`);
  const name = `conv_igemm_tm${TM}_tn${TN}_${vecA ? 'va' : 'sa'}_${vecB ? 'vb' : 'sb'}${bias ? '_bias' : ''}${valid ? '_valid' : ''}_p`;
  let s = specs.get(name);
  if (s) return s;
  const rows = [...Array(TM).keys()];
  const nv = TN / 4;
  const vcols = [...Array(nv).keys()];
  const kStep = vecA ? 4 : 1;
  const comps = ['x', 'y', 'z', 'w'];
  const loadB = (dk: number) =>
    vecB
      ? vcols.map((v) => `let b${dk}_${v} = bm[(bTap + (k + ${dk}u) * u.bRow) / 4u + nv${v}];`).join('\n      ')
      : vcols
          .map(
            (v) =>
              `let b${dk}_${v} = vec4<f32>(${[0, 1, 2, 3].map((c) => `bm[bTap + (k + ${dk}u) * u.bRow + c${v * 4 + c}]`).join(', ')});`,
          )
          .join('\n      ');
  const fma = rows
    .map((r) => {
      if (!vecA) {
        return [`let a${r} = am[base${r} + k]${valid ? '' : ` * ok${r}`};`, ...vcols.map((v) => `acc${r}_${v} += a${r} * b0_${v};`)].join('\n      ');
      }
      const lines = [`let a${r} = am[(base${r} + k) / 4u]${valid ? '' : ` * ok${r}`};`];
      for (let dk = 0; dk < 4; dk++) for (const v of vcols) lines.push(`acc${r}_${v} += a${r}.${comps[dk]} * b${dk}_${v};`);
      return lines.join('\n      ');
    })
    .join('\n      ');
  // All-vec4 case: pointer increments and no index arithmetic in the reduction loop, and each B
  // row is consumed right after its load (fewer live registers). Masked, a row whose source pixel
  // is outside A (zero padding folded into the indexing) reads zeros through a select.
  const fast = vecA && vecB;
  const fastLoop = `${rows.map((r) => `var pa${r} = base${r} / 4u;`).join(' ')}
      var pb = bTap / 4u;
      for (var k = 0u; k < u.kc; k += 4u) {
        ${rows.map((r) => `let a${r} = ${valid ? `am[pa${r}]` : `select(vec4<f32>(0.0), am[pa${r}], ok${r}b)`};`).join(' ')}
        ${[0, 1, 2, 3]
          .map((dk) =>
            [
              vcols.map((v) => `let b${dk}_${v} = bm[pb + ${dk === 0 ? '' : `ro${dk} + `}nv${v}];`).join(' '),
              ...rows.map((r) => vcols.map((v) => `acc${r}_${v} += a${r}.${comps[dk]} * b${dk}_${v};`).join(' ')),
            ].join('\n        '),
          )
          .join('\n        ')}
        ${rows.map((r) => `pa${r} += 1u;`).join(' ')}
        pb += ro4;
      }`;
  // Valid variant: the launcher guarantees every source position is inside A (an unpadded conv),
  // so there are no masks, no divisibility tests and no skipped taps. Padding takes the masked one.
  const axisValid = (r: number) => `
      let base${r} = ((img${r} + u32(by${r} + i32(i) * u.tapY)) * u.srcW + u32(bx${r} + i32(j) * u.tapX)) * u.aPix + u.aOff;`;
  const axis = (r: number) => `
      let py${r} = by${r} + i32(i) * u.tapY;
      let px${r} = bx${r} + i32(j) * u.tapX;
      let ok${r}b = py${r} >= 0 && px${r} >= 0 && rowOk${r} &&
        (u32(py${r}) % u.divY) == 0u && (u32(px${r}) % u.divX) == 0u &&
        u32(py${r}) / u.divY < u.srcH && u32(px${r}) / u.divX < u.srcW;
      let base${r} = select(0u, ((img${r} + u32(py${r}) / u.divY) * u.srcW + u32(px${r}) / u.divX) * u.aPix + u.aOff, ok${r}b);
      let ok${r} = select(0.0, 1.0, ok${r}b);`;
  const store = rows
    .map(
      (r) => `if (m0 + ${r}u < u.m) {
    let o = orow${r} * u.oPix + u.oOff + n0;
${vcols
  .map((v) =>
    [0, 1, 2, 3]
      .map((c) => `    if (n0 + ${v * 4 + c}u < u.ncols) { out[o + ${v * 4 + c}u] = acc${r}_${v}.${comps[c]}${bias ? ` + bias[u.biasOff + n0 + ${v * 4 + c}u]` : ''}; }`)
      .join('\n'),
  )
  .join('\n')}
  }`,
    )
    .join('\n  ');
  const wgsl = `
${igemmHeader(vecA, vecB, bias)}

@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.tilesM * u.tilesN) { return; }
  let mt = t % u.tilesM;
  let nt = t / u.tilesM;
  let m0 = mt * ${TM}u;
  let n0 = nt * ${TN}u;
  ${rows
    .map(
      (r) => `let mr${r} = min(m0 + ${r}u, u.m - 1u);
  let rowOk${r} = m0 + ${r}u < u.m;
  ${rowSource(r)}`,
    )
    .join('\n  ')}
  ${
    vecB
      ? vcols.map((v) => `let nv${v} = min(n0 / 4u + ${v}u, u.ncols / 4u - 1u) + u.bOff / 4u;`).join('\n  ')
      : [...Array(TN).keys()].map((c) => `let c${c} = min(n0 + ${c}u, u.ncols - 1u) + u.bOff;`).join('\n  ')
  }
  ${rows.map((r) => vcols.map((v) => `var acc${r}_${v} = vec4<f32>(0.0);`).join(' ')).join('\n  ')}
  let ro1 = u.bRow / 4u;
  let ro2 = 2u * ro1;
  let ro3 = 3u * ro1;
  let ro4 = 4u * ro1;
  for (var i = 0u; i < u.kh; i++) {
    for (var j = 0u; j < u.kw; j++) {
      ${rows.map(valid ? axisValid : axis).join('')}
      if (${valid ? 'true' : rows.map((r) => `ok${r}b`).join(' || ')}) {
      let bTap = u.tap0 + i * u.tapI + j * u.tapJ;
      ${fast ? fastLoop : `for (var k = 0u; k < u.kc; k += ${kStep}u) {
      ${[...Array(kStep).keys()].map(loadB).join('\n      ')}
      ${fma}
      }`}
      }
    }
  }
  ${store}
}
`;
  s = specOf(name, igemmSignature(vecA, vecB, bias), wgsl);
  specs.set(name, s);
  return s;
}

/**
 * WGSL uniform struct and bindings shared by the implicit-GEMM kernels (this one and its subgroup
 * variant, which passes its subgroup-padded tile count as `tilesM`). Buffers: A, B, [bias], out.
 */
const IGEMM_U = {
  m: 'u32', ncols: 'u32', kc: 'u32', tilesM: 'u32',
  srcH: 'u32', srcW: 'u32', dstH: 'u32', dstW: 'u32',
  kh: 'u32', kw: 'u32', divY: 'u32', divX: 'u32',
  mulY: 'i32', addY: 'i32', tapY: 'i32', mulX: 'i32',
  addX: 'i32', tapX: 'i32', aPix: 'u32', aOff: 'u32',
  bRow: 'u32', bOff: 'u32', oPix: 'u32', oOff: 'u32',
  tilesN: 'u32', biasOff: 'u32',
  tap0: 'u32', tapI: 'u32', tapJ: 'u32',
  outH: 'u32', outW: 'u32', oMulY: 'u32', oAddY: 'u32', oMulX: 'u32', oAddX: 'u32',
} as const;
export type IgemmSpec = DeclaredSpec<typeof IGEMM_U>;

/** The declaration: A, B, [bias], out, which is written up to column oOff + ncols of pixel m - 1. */
export function igemmSignature(vecA: boolean, vecB: boolean, bias: boolean) {
  return signature('conv_igemm', IGEMM_U, {
    am: { type: vecA ? 'vec4<f32>' : 'f32', access: 'read' },
    bm: { type: vecB ? 'vec4<f32>' : 'f32', access: 'read' },
    ...(bias ? { bias: { type: 'f32', access: 'read' } as const } : {}),
    // The last destination pixel's place in the output, then its columns.
    out: {
      type: 'f32',
      access: 'write',
      len: (u) => {
        if (u.m === 0) return 0;
        const last = ((u.m / (u.dstH * u.dstW) - 1) * u.outH + (u.dstH - 1) * u.oMulY + u.oAddY) * u.outW + (u.dstW - 1) * u.oMulX + u.oAddX;
        return last * u.oPix + u.oOff + u.ncols;
      },
    },
  });
}

export function igemmHeader(vecA: boolean, vecB: boolean, bias: boolean): string {
  return igemmSignature(vecA, vecB, bias).header;
}

export function igemmUniforms(g: ImplicitGemm, tilesM: number, tilesN: number): UniformValues<typeof IGEMM_U> {
  // Elements of B between consecutive taps: kc rows of bRow, or in the transposed layout ncols
  // columns of bRow.
  const tapStride = (g.bTransposed ? g.ncols : g.kc) * g.bRow;
  const taps = g.taps ?? { first: 0, row: g.kw * tapStride, col: tapStride };
  const o = g.outMap ?? { h: g.dstH, w: g.dstW, mulY: 1, addY: 0, mulX: 1, addX: 0 };
  return {
    tap0: taps.first, tapI: taps.row, tapJ: taps.col,
    outH: o.h, outW: o.w, oMulY: o.mulY, oAddY: o.addY, oMulX: o.mulX, oAddX: o.addX,
    m: g.batch * g.dstH * g.dstW, ncols: g.ncols, kc: g.kc, tilesM,
    srcH: g.srcH, srcW: g.srcW, dstH: g.dstH, dstW: g.dstW,
    kh: g.kh, kw: g.kw, divY: g.y.div, divX: g.x.div,
    mulY: g.y.mul, addY: g.y.add, tapY: g.y.tap, mulX: g.x.mul,
    addX: g.x.add, tapX: g.x.tap, aPix: g.aPix, aOff: g.aOff,
    bRow: g.bRow, bOff: g.bOff, oPix: g.oPix, oOff: g.oOff,
    tilesN, biasOff: g.biasOff,
  };
}

/**
 * Launch of one implicit-GEMM convolution dispatch. With `valid` the caller guarantees that every
 * source position of every destination pixel and tap lies inside A, and div == 1; otherwise
 * positions outside A (zero padding) read as zeros. Buffers: A, B, [bias], out. `out` is written at
 * rows m < batch*dstH*dstW, columns [oOff, oOff + ncols) of each pixel; nothing else is touched.
 */
export function implicitGemmLaunch(g: ImplicitGemm, tile: ConvTile, bias: boolean, valid = false): Launch {
  if (g.bTransposed) throw new Error('implicitGemmLaunch: a transposed B is read by the subgroup kernel only');
  if (valid && (g.y.div !== 1 || g.x.div !== 1)) throw new Error('implicitGemmLaunch: the valid variant needs div = 1');
  const m = g.batch * g.dstH * g.dstW;
  const a4 = (...v: number[]) => v.every((x) => x % 4 === 0);
  const vecA = a4(g.kc, g.aPix, g.aOff);
  const vecB = a4(g.ncols, g.bRow, g.bOff);
  const tilesM = Math.ceil(m / tile.tm);
  const tilesN = Math.ceil(g.ncols / tile.tn);
  return launchOf(spec(tile, vecA, vecB, bias, valid), igemmUniforms(g, tilesM, tilesN), grid1d(Math.ceil((tilesM * tilesN) / WG)));
}
