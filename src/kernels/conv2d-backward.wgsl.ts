// Weight gradient of the NHWC convolution: dw[tap, ci, co] = sum over output pixels m of
// x[source pixel of (m, tap), ci] * gy[m, co], a GEMM whose reduction runs over N*Hout*Wout.
// Register-blocked: an invocation owns TR input channels of one tap (vec4 loads along channels of
// x) times TC output channels (vec4 loads along channels of gy). The reduction walks output rows
// (n, y); rows whose source row is padding are skipped, and along a row only the x range whose
// source column is inside the image is visited, so the inner loop has no bounds checks at all.
// When there are too few tiles to fill the device, the rows are split into chunks that write
// partial sums ([chunks, kh*kw*kc, ncols]) and the launcher adds them in a second pass: no atomics.
// (The input gradient is conv2d.wgsl.ts run as a gather-style transposed convolution.)
import { ENTRY_PARAMS, grid1d, linearIndex, unflatten, type Launch } from './kernel.js';
import { launchOf, signature, specOf, type DeclaredSpec, type UniformValues } from './signature.js';
import type { ConvWindow } from './geometry.js';

export interface WeightGradTile {
  /** Input channels per invocation (a multiple of 4). */
  tr: number;
  /** Output channels per invocation (a multiple of 4). */
  tc: number;
}

const WG = 64;

export interface WeightGradGeometry extends ConvWindow {
  /** Input channels per tap of this dispatch (Cin/groups) and output channels (Cout/groups). */
  kc: number;
  ncols: number;
  /** x's pixel stride and channel offset; gy's pixel stride and channel offset. */
  aPix: number;
  aOff: number;
  gPix: number;
  gOff: number;
  /** Output rows (tap*kc + ci) have stride oRow and columns start at oOff; chunk c at c*chunkStride. */
  oRow: number;
  oOff: number;
}

const specs = new Map<string, WgradSpec>();

/** The weight-gradient kernel's uniforms. */
const WGRAD_U = {
  kc: 'u32', ncols: 'u32', kw: 'u32', tilesR: 'u32',
  tilesPerTap: 'u32', tilesC: 'u32', chunks: 'u32', rowsPerChunk: 'u32',
  nRows: 'u32', ho: 'u32', wo: 'u32', h: 'u32',
  w: 'u32', aPix: 'u32', aOff: 'u32', gPix: 'u32',
  sy: 'i32', sx: 'i32', py: 'i32', px: 'i32',
  dy: 'i32', dx: 'i32', gOff: 'u32', oRow: 'u32',
  oOff: 'u32', chunkStride: 'u32',
} as const;
export type WgradSpec = DeclaredSpec<typeof WGRAD_U>;

/** The declaration: x, gy, and out, written up to column oOff + ncols of the last chunk's last row. */
export function wgradSignature(vecA: boolean, vecG: boolean) {
  return signature('conv_wgrad', WGRAD_U, {
    xm: { type: vecA ? 'vec4<f32>' : 'f32', access: 'read' },
    gm: { type: vecG ? 'vec4<f32>' : 'f32', access: 'read' },
    out: { type: 'f32', access: 'write', len: (u) => (u.chunks > 0 && u.kc > 0 ? u.chunks * u.chunkStride - u.oRow + u.oOff + u.ncols : 0) },
  });
}

export function wgradHeader(vecA: boolean, vecG: boolean): string {
  return wgradSignature(vecA, vecG).header;
}

/** Tile and chunk counts of a weight-gradient launch, in the order of `wgradHeader`'s struct. */
export interface WgradTiles {
  tilesR: number;
  tilesPerTap: number;
  tilesC: number;
  chunks: number;
  rowsPerChunk: number;
  nRows: number;
}

export function wgradUniforms(g: WeightGradGeometry, t: WgradTiles): UniformValues<typeof WGRAD_U> {
  return {
    kc: g.kc, ncols: g.ncols, kw: g.kw, tilesR: t.tilesR,
    tilesPerTap: t.tilesPerTap, tilesC: t.tilesC, chunks: t.chunks, rowsPerChunk: t.rowsPerChunk,
    nRows: t.nRows, ho: g.ho, wo: g.wo, h: g.h,
    w: g.w, aPix: g.aPix, aOff: g.aOff, gPix: g.gPix,
    sy: g.stride[0], sx: g.stride[1], py: g.padding[0], px: g.padding[1],
    dy: g.dilation[0], dx: g.dilation[1], gOff: g.gOff, oRow: g.oRow,
    oOff: g.oOff, chunkStride: g.kh * g.kw * g.kc * g.oRow,
  };
}

/**
 * WGSL lines shared by the weight-gradient kernels (this one, depthwise): the
 * output columns [xLo, xHi) of tap column j whose source column lies inside the image (padding and
 * dilation folded in), so the inner loop needs no bounds test.
 */
export const WGRAD_COLUMNS = `let numLo = u.px - j * u.dx;
  let xLo = select(0u, u32((numLo + u.sx - 1) / u.sx), numLo > 0);
  let numHi = i32(u.w) - 1 + u.px - j * u.dx;
  let xHi = select(0u, min(u.wo, u32(numHi / u.sx) + 1u), numHi >= 0);`;

function spec(tile: WeightGradTile, vecA: boolean, vecG: boolean): WgradSpec {
  const { tr: TR, tc: TC } = tile;
  if (TR % 4 !== 0 || TC % 4 !== 0) throw new Error(`weight-gradient tile ${TR}x${TC} must be multiples of 4`);
  const name = `conv_wgrad_tr${TR}_tc${TC}_${vecA ? 'va' : 'sa'}_${vecG ? 'vg' : 'sg'}`;
  let s = specs.get(name);
  if (s) return s;
  const rv = [...Array(TR / 4).keys()];
  const cv = [...Array(TC / 4).keys()];
  const comps = ['x', 'y', 'z', 'w'];
  const loadX = vecA
    ? rv.map((v) => `let x${v} = xm[(xa + xo${v}) / 4u];`).join('\n        ')
    : rv.map((v) => `let x${v} = vec4<f32>(${[0, 1, 2, 3].map((c) => `xm[xa + r${v * 4 + c}]`).join(', ')});`).join('\n        ');
  const loadG = vecG
    ? cv.map((v) => `let g${v} = gm[(ga + go${v}) / 4u];`).join('\n        ')
    : cv.map((v) => `let g${v} = vec4<f32>(${[0, 1, 2, 3].map((c) => `gm[ga + k${v * 4 + c}]`).join(', ')});`).join('\n        ');
  const fma: string[] = [];
  for (const v of rv) for (let c = 0; c < 4; c++) for (const w of cv) fma.push(`acc${v * 4 + c}_${w} += x${v}.${comps[c]} * g${w};`);
  const store: string[] = [];
  for (let r = 0; r < TR; r++) {
    const lines = [];
    for (const w of cv) for (let c = 0; c < 4; c++) lines.push(`    if (co0 + ${w * 4 + c}u < u.ncols) { out[o + ${w * 4 + c}u] = acc${r}_${w}.${comps[c]}; }`);
    store.push(`if (ci0 + ${r}u < u.kc) {
    let o = obase + (ci0 + ${r}u) * u.oRow;
${lines.join('\n')}
  }`);
  }
  const wgsl = `
${wgradHeader(vecA, vecG)}

@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.tilesR * u.tilesC * u.chunks) { return; }
  ${unflatten('t', [['rt', 'u.tilesR'], ['ct', 'u.tilesC']], 'chunk')}
  let tap = rt / u.tilesPerTap;
  let ci0 = (rt % u.tilesPerTap) * ${TR}u;
  let co0 = ct * ${TC}u;
  let i = i32(tap / u.kw);
  let j = i32(tap % u.kw);
  ${vecA ? rv.map((v) => `let xo${v} = min(ci0 + ${v * 4}u, u.kc - 4u) - ci0;`).join('\n  ') : [...Array(TR).keys()].map((r) => `let r${r} = min(ci0 + ${r}u, u.kc - 1u) - ci0;`).join('\n  ')}
  ${vecG ? cv.map((v) => `let go${v} = min(co0 + ${v * 4}u, u.ncols - 4u) - co0;`).join('\n  ') : [...Array(TC).keys()].map((c) => `let k${c} = min(co0 + ${c}u, u.ncols - 1u) - co0;`).join('\n  ')}
  ${WGRAD_COLUMNS}
  ${[...Array(TR).keys()].map((r) => cv.map((w) => `var acc${r}_${w} = vec4<f32>(0.0);`).join(' ')).join('\n  ')}
  let row0 = chunk * u.rowsPerChunk;
  let row1 = min(row0 + u.rowsPerChunk, u.nRows);
  for (var row = row0; row < row1; row++) {
    let n = row / u.ho;
    let iy = i32(row % u.ho) * u.sy - u.py + i * u.dy;
    if (iy < 0 || iy >= i32(u.h)) { continue; }
    let ix0 = i32(xLo) * u.sx - u.px + j * u.dx;
    var xa = ((n * u.h + u32(iy)) * u.w + u32(ix0)) * u.aPix + u.aOff + ci0;
    var ga = (row * u.wo + xLo) * u.gPix + u.gOff + co0;
    let xStep = u32(u.sx) * u.aPix;
    for (var ox = xLo; ox < xHi; ox++) {
        ${loadX}
        ${loadG}
        ${fma.join('\n        ')}
        xa += xStep;
        ga += u.gPix;
    }
  }
  let obase = chunk * u.chunkStride + u32(tap) * u.kc * u.oRow + u.oOff + co0;
  ${store.join('\n  ')}
}
`;
  s = specOf(name, wgradSignature(vecA, vecG), wgsl);
  specs.set(name, s);
  return s;
}

/** Rows per chunk so that about `target` invocations run (at least `minRows` rows each). */
export function weightGradChunks(tiles: number, nRows: number, target = 512, minRows = 4): number {
  if (tiles >= target) return 1;
  const want = Math.ceil(target / tiles);
  return Math.max(1, Math.min(want, Math.floor(nRows / minRows)));
}

/**
 * Launch for dw (buffers: x, gy, out). With chunks > 1, out is [chunks, kh*kw*kc, ncols] partial
 * sums (oRow = ncols, oOff = 0 expected); with one chunk it may be a column slice of the weight.
 */
export function weightGradLaunch(g: WeightGradGeometry, tile: WeightGradTile, chunks: number): Launch {
  const a4 = (...v: number[]) => v.every((x) => x % 4 === 0);
  const vecA = a4(g.kc, g.aPix, g.aOff);
  const vecG = a4(g.ncols, g.gPix, g.gOff);
  const tilesPerTap = Math.ceil(g.kc / tile.tr);
  const tilesR = tilesPerTap * g.kh * g.kw;
  const tilesC = Math.ceil(g.ncols / tile.tc);
  const nRows = g.batch * g.ho;
  const rowsPerChunk = Math.ceil(nRows / chunks);
  const realChunks = Math.ceil(nRows / rowsPerChunk);
  if (realChunks !== chunks) throw new Error(`weightGradLaunch: ${chunks} chunks of ${nRows} rows leave empty chunks; use weightGradChunks`);
  const uniforms = wgradUniforms(g, { tilesR, tilesPerTap, tilesC, chunks, rowsPerChunk, nRows });
  return launchOf(spec(tile, vecA, vecG), uniforms, grid1d(Math.ceil((tilesR * tilesC * chunks) / WG)));
}

/** Chunk count actually usable for `nRows` (no empty chunk). */
export function normaliseChunks(nRows: number, chunks: number): number {
  const per = Math.ceil(nRows / Math.max(1, chunks));
  return Math.ceil(nRows / per);
}
