// Depthwise convolution, column-walk form: the forward and stride-1 input gradient of
// depthwise.wgsl.ts for a software adapter. On lavapipe the invocations are the SIMD lanes of one
// thread and a storage load whose address differs per lane runs lane by lane, so the cost is the
// number of loaded elements (docs/performance.md, "Why the kernel targets are not met on
// lavapipe"). Lanes take neighbouring channels (f32 each); an invocation owns TP output columns
// and walks down the image through the output rows of one row class, loading each source row of
// its window once and adding it to the KH output rows that read it, which it keeps in registers
// (a rotating window of KH x TP accumulators). Output rows SY = |tap step| apart read the same
// source rows shifted by one tap, and so do output columns SX apart: a class is every SY-th row
// (every SX-th column), so a 3x3 at dilation d loads (TP + 2) x (rows + 2) source values for
// 9 x TP x rows multiply-adds, at any d (the row form it replaces: 3 x (TP + 2d) per TP outputs).
//
// Results are bit for bit those of depthwise.wgsl.ts for finite weights: every output adds its
// products in the same order (tap rows, then tap columns; the walk runs against the tap step's
// sign so that a row's taps arrive in increasing order), and a source column outside the image
// contributes 0 * w = +-0, which leaves the sum unchanged (a sum that starts at +0 is never -0),
// where depthwise.wgsl.ts skips it; source rows outside the image are skipped as there.
import { ENTRY_PARAMS, grid1d, linearIndex, unflatten, type Launch } from './kernel.js';
import { declared, launchOf, signature, type UniformValues } from './signature.js';
import type { DepthwiseGeometry } from './depthwise.wgsl.js';

const WG = 64;

const range = (n: number) => [...Array(n).keys()];

// kh, kw: compiled into each variant, declared for the weight's size check.
const WALK_U = {
  batch: 'u32', srcH: 'u32', srcW: 'u32', dstH: 'u32',
  dstW: 'u32', c: 'u32', tilesX: 'u32', total: 'u32',
  addY: 'i32', addX: 'i32', kh: 'u32', kw: 'u32',
} as const;

/** src [batch, srcH, srcW, C], wt [kh, kw, C], [bias [C]], out [batch, dstH, dstW, C]: the bindings of depthwise.wgsl.ts. */
function walkSignature(bias: boolean) {
  return signature('depthwise_walk', WALK_U, {
    src: { type: 'f32', access: 'read', len: (u) => u.batch * u.srcH * u.srcW * u.c },
    wt: { type: 'f32', access: 'read', len: (u) => u.kh * u.kw * u.c },
    ...(bias ? { bias: { type: 'f32', access: 'read', len: (u: UniformValues<typeof WALK_U>) => u.c } as const } : {}),
    out: { type: 'f32', access: 'write', len: (u) => u.batch * u.dstH * u.dstW * u.c },
  });
}

/** Output columns per invocation (KH x TP accumulators stay in registers; tuned on lavapipe). */
export const WALK_COLUMNS = 8;

/** Whether the walk kernel can run this geometry: unit multipliers and divisors (a stride-1 forward or input gradient). */
export function depthwiseWalkFits(g: DepthwiseGeometry): boolean {
  return g.y.div === 1 && g.x.div === 1 && g.y.mul === 1 && g.x.mul === 1;
}

/**
 * Tap steps (0 for a one-tap axis), the row and column class spacing they give (rows / columns one
 * tap step apart share source rows / columns) and the tile width of a geometry (see the header).
 */
function walkShape(g: DepthwiseGeometry, columns: number): { ty: number; tx: number; sy: number; sx: number; tp: number } {
  const ty = g.kh > 1 ? g.y.tap : 0;
  const tx = g.kw > 1 ? g.x.tap : 0;
  const sx = Math.max(1, Math.abs(tx));
  // A class narrower than the tile takes a narrower tile: the rest would only be masked off.
  return { ty, tx, sy: Math.max(1, Math.abs(ty)), sx, tp: Math.max(1, Math.min(columns, Math.ceil(g.dstW / sx))) };
}

/**
 * Whether the walk kernel applies and pays: an invocation loads the whole weight (KH x KW values)
 * and its window's edges once, so it needs at least WALK_MIN_OUTPUTS outputs to amortise them. A
 * dilation near the image size leaves a row class one or two rows and a tile one or two columns:
 * at dilation 12 and 18 on 16x16 (r50's ASPP at 256 px) the walk ran at 0.5x and 0.17x the tap
 * kernel, at dilation 6 (9 outputs per invocation) 1.7-1.9x (docs/performance.md).
 */
export function depthwiseWalkPays(g: DepthwiseGeometry, columns = WALK_COLUMNS): boolean {
  if (!depthwiseWalkFits(g)) return false;
  const { sy, tp } = walkShape(g, columns);
  return Math.ceil(g.dstH / sy) * tp >= WALK_MIN_OUTPUTS;
}

/** Outputs per invocation below which the tap kernel is faster (depthwiseWalkPays). */
export const WALK_MIN_OUTPUTS = 8;

/** Forward or stride-1 input-gradient launch (buffers: src, wt, [bias], out [batch, dstH, dstW, C]). */
export function depthwiseWalkLaunch(g: DepthwiseGeometry, bias: boolean, columns = WALK_COLUMNS): Launch {
  if (!depthwiseWalkFits(g)) throw new Error('depthwiseWalkLaunch: needs a stride-1 geometry (unit multipliers and divisors)');
  const { kh: KH, kw: KW } = g;
  const { ty: TY, tx: TX, sy: SY, sx: SX, tp: TP } = walkShape(g, columns);
  const DIR = TY < 0 ? -1 : 1;
  const name = `depthwise_walk_k${KH}x${KW}_ty${TY}_tx${TX}_p${TP}${bias ? '_bias' : ''}`;
  const spec = declared(name, () => walkSignature(bias), () => {
    // Source column of (pixel p, tap column j) relative to pixel 0's first tap: p * SX + j * TX.
    const off = (p: number, j: number) => p * SX + j * TX;
    // Columns in the order that gives each accumulator its taps in increasing j, as
    // depthwise.wgsl.ts adds them (the input gradient's tap step is negative).
    const cols = [...new Set(range(TP).flatMap((p) => range(KW).map((j) => off(p, j))))].sort((a, b) => (TX >= 0 ? a - b : b - a));
    // Slot i holds the output row that reads the current source row as its tap row i.
    const addRow = cols
      .map((o) => {
        const uses = range(KH).flatMap((i) => range(TP).flatMap((p) => range(KW).filter((j) => off(p, j) === o).map((j) => `a${i}_${p} += v * w${i}_${j};`)));
        return `{
        let q = bx + ${o};
        var v = 0.0;
        if (q >= 0 && q < i32(u.srcW)) { v = src[u32(base + ${o} * i32(u.c))]; }
        ${uses.join(' ')}
      }`;
      })
      .join('\n      ');
    const slot = (i: number) => range(TP).map((p) => `a${i}_${p}`);
    const shift = range(KH - 1)
      .reverse()
      .map((i) => range(TP).map((p) => `a${i + 1}_${p} = a${i}_${p};`).join(' '))
      .join('\n    ');
    return `
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.total) { return; }
  // channel fastest: the lanes of a subgroup share their pixels (C a multiple of 8), so its
  // branches agree.
  ${unflatten('t', [['c', 'u.c'], ['xt', 'u.tilesX'], ['ry', `${SY}u`]], 'n')}
  let rx = xt % ${SX}u;
  // This invocation's columns rx + SX * (xb * TP + p), its rows ry + SY * m for m < rows.
  let x0 = rx + ${SX}u * ((xt / ${SX}u) * ${TP}u);
  let rows = (u.dstH + ${SY - 1}u - ry) / ${SY}u;
  let bx = i32(x0) + u.addX;
  ${range(KH)
    .map((i) => range(KW).map((j) => `let w${i}_${j} = wt[${i * KW + j}u * u.c + c];`).join(' '))
    .join('\n  ')}
  ${range(KH)
    .map((i) => slot(i).map((a) => `var ${a} = 0.0;`).join(' '))
    .join('\n  ')}
  // Step s loads source row index s of the walk; the output row of walk index s - i receives
  // it as tap row i, and after the step the row of index s - (KH - 1) is complete.
  for (var s = 0u; s < rows + ${KH - 1}u; s++) {
    let m = ${DIR > 0 ? 's' : `i32(rows) - 1 - i32(s)`};
    let py = i32(ry) + u.addY + ${SY} * i32(m);
    if (py >= 0 && py < i32(u.srcH)) {
      let base = (i32(n * u.srcH) + py) * i32(u.srcW) * i32(u.c) + bx * i32(u.c) + i32(c);
      ${addRow}
    }
    if (s >= ${KH - 1}u) {
      let k = s - ${KH - 1}u;
      let oy = ry + ${SY}u * ${DIR > 0 ? 'k' : '(rows - 1u - k)'};
      let o = ((n * u.dstH + oy) * u.dstW + x0) * u.c + c;
      ${range(TP)
        .map((p) => `if (x0 + ${p * SX}u < u.dstW) { out[o + ${p * SX}u * u.c] = a${KH - 1}_${p}${bias ? ' + bias[c]' : ''}; }`)
        .join('\n      ')}
    }
    ${shift}
    ${slot(0).map((a) => `${a} = 0.0;`).join(' ')}
  }
}
`;
  });
  const tilesX = SX * Math.ceil(Math.ceil(g.dstW / SX) / TP);
  const total = g.batch * SY * tilesX * g.channels;
  const u = {
    batch: g.batch, srcH: g.srcH, srcW: g.srcW, dstH: g.dstH,
    dstW: g.dstW, c: g.channels, tilesX, total,
    addY: g.y.add, addX: g.x.add, kh: g.kh, kw: g.kw,
  };
  return launchOf(spec, u, grid1d(Math.ceil(total / WG)));
}
