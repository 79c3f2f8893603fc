// Weight gradient of the NHWC convolution for adapters whose subgroups are exactly 8 lanes wide:
// the reduction of conv2d-backward.wgsl.ts (read its header) with the gy values shared through
// subgroup broadcasts, as matmul-subgroup.wgsl.ts shares B. The 8 lanes of a subgroup own 8
// input-channel tiles of the same tap and the same 8 output channels, so they walk the same output
// pixels and need the same gy values; instead of 8 gathers of one address, lane l loads the vec4
// of pixel ox + l/2, channels co0 + 4(l%2) .. +3, and subgroupBroadcast hands it to all. Per 4
// output pixels a lane issues TR loads of x (vec4 along input channels) and one of gy for
// 32 * TR multiply-adds.
//
// Input-channel tiles are padded to a multiple of 8 per tap (padding lanes compute a clamped tile
// and store nothing), so the launcher takes this kernel only where that wastes little (Cin/groups
// of at least about 8 tiles). No early return: every lane must reach the broadcasts; the loop
// bounds depend only on the tap, chunk and row, which the subgroup shares by construction. WGSL's
// uniformity analysis cannot see that (they derive from the invocation id), hence the
// `diagnostic(off, subgroup_uniformity)` directive.
import { ENTRY_PARAMS, grid1d, linearIndex, unflatten, type Launch } from './kernel.js';
import { WGRAD_COLUMNS, wgradHeader, wgradSignature, wgradUniforms, type WeightGradGeometry, type WgradSpec } from './conv2d-backward.wgsl.js';
import { launchOf, specOf } from './signature.js';

const TC = 8;
const SG = 8;
const WG = 64;

const specs = new Map<string, WgradSpec>();

function spec(tr: number, vecA: boolean, vecG: boolean): WgradSpec {
  if (vecA && tr % 4 !== 0) throw new Error(`weight-gradient subgroup tile tr=${tr} must be a multiple of 4`);
  const name = `conv_wgrad_sg8_tr${tr}_${vecA ? 'va' : 'sa'}_${vecG ? 'vg' : 'sg'}`;
  let s = specs.get(name);
  if (s) return s;
  const rows = [...Array(tr).keys()];
  const rv = vecA ? [...Array(tr / 4).keys()] : [];
  const comps = ['x', 'y', 'z', 'w'];
  const d4 = [0, 1, 2, 3];
  // x of pixel ox + d (clamped to the last pixel of the row; its gy is zero) for this lane's channels.
  const loadX = (d: number) =>
    vecA
      ? rv.map((v) => `let x${d}_${v} = xm[(xa${d} + xo${v}) / 4u];`).join(' ')
      : rows.map((r) => `let x${d}_${r} = xm[xa${d} + r${r}];`).join(' ');
  const xOf = (d: number, r: number) => (vecA ? `x${d}_${Math.floor(r / 4)}.${comps[r % 4]}` : `x${d}_${r}`);
  const body = d4
    .map((d) =>
      [
        `let xa${d} = xa + min(${d}u, rem - 1u) * xStep;`,
        loadX(d),
        `let g${d}0 = subgroupBroadcast(gv, ${2 * d}u);`,
        `let g${d}1 = subgroupBroadcast(gv, ${2 * d + 1}u);`,
        ...rows.map((r) => `acc${r}0 += ${xOf(d, r)} * g${d}0; acc${r}1 += ${xOf(d, r)} * g${d}1;`),
      ].join('\n        '),
    )
    .join('\n        ');
  const loadG = vecG
    ? `gv = gm[(ga + gLane) / 4u];`
    : `gv = vec4<f32>(${d4.map((c) => `gm[ga + gLane + gc${c}]`).join(', ')});`;
  const store = rows
    .map(
      (r) => `if (store && ci0 + ${r}u < u.kc) {
    let o = obase + (ci0 + ${r}u) * u.oRow;
    for (var c = 0u; c < 4u; c++) {
      if (co0 + c < u.ncols) { out[o + c] = acc${r}0[c]; }
      if (co0 + 4u + c < u.ncols) { out[o + 4u + c] = acc${r}1[c]; }
    }
  }`,
    )
    .join('\n  ');
  const wgsl = `
enable subgroups;
diagnostic(off, subgroup_uniformity);
${wgradHeader(vecA, vecG)}

@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}, @builtin(subgroup_invocation_id) lane: u32) {
  let t = ${linearIndex(WG)};
  let total = u.tilesR * u.tilesC * u.chunks;
  let live = t < total;
  let tc = min(t, total - 1u);
  ${unflatten('tc', [['rt', 'u.tilesR'], ['ct', 'u.tilesC']], 'chunk')}
  let tap = rt / u.tilesPerTapPad;
  let ciT = rt % u.tilesPerTapPad;
  let store = live && ciT < u.tilesPerTap;
  let ci0 = min(ciT, u.tilesPerTap - 1u) * ${tr}u;
  let co0 = ct * ${TC}u;
  let i = i32(tap / u.kw);
  let j = i32(tap % u.kw);
  ${vecA ? rv.map((v) => `let xo${v} = min(ci0 + ${v * 4}u, u.kc - 4u) - ci0;`).join('\n  ') : rows.map((r) => `let r${r} = min(ci0 + ${r}u, u.kc - 1u);`).join('\n  ')}
  // This lane's gy pixel (within each block of 4) and its 4 output channels.
  let gPixLane = lane >> 1u;
  ${
    vecG
      ? `let gLane = gPixLane * u.gPix + min(co0 + (lane & 1u) * 4u, u.ncols - 4u);`
      : `let gLane = gPixLane * u.gPix;
  ${d4.map((c) => `let gc${c} = min(co0 + (lane & 1u) * 4u + ${c}u, u.ncols - 1u);`).join('\n  ')}`
  }
  ${WGRAD_COLUMNS}
  ${rows.map((r) => `var acc${r}0 = vec4<f32>(0.0); var acc${r}1 = vec4<f32>(0.0);`).join('\n  ')}
  let row0 = chunk * u.rowsPerChunk;
  let row1 = min(row0 + u.rowsPerChunk, u.nRows);
  let xStep = u32(u.sx) * u.aPix;
  for (var row = row0; row < row1; row++) {
    let n = row / u.ho;
    let iy = i32(row % u.ho) * u.sy - u.py + i * u.dy;
    if (iy < 0 || iy >= i32(u.h)) { continue; }
    let ix0 = i32(xLo) * u.sx - u.px + j * u.dx;
    var xa = ((n * u.h + u32(iy)) * u.w + u32(ix0)) * u.aPix + u.aOff + ${vecA ? 'ci0' : '0u'};
    var ga = (row * u.wo + xLo) * u.gPix + u.gOff;
    let gStep = 4u * u.gPix;
    let xStep4 = 4u * xStep;
    for (var ox = xLo; ox < xHi; ox += 4u) {
        let rem = xHi - ox;
        var gv = vec4<f32>(0.0);
        if (gPixLane < rem) { ${loadG} }
        ${body}
        xa += xStep4;
        ga += gStep;
    }
  }
  let obase = chunk * u.chunkStride + u32(tap) * u.kc * u.oRow + u.oOff + co0;
  ${store}
}
`;
  s = specOf(name, wgradSignature(vecA, vecG), wgsl);
  specs.set(name, s);
  return s;
}

/** Input-channel tiles per tap of the subgroup kernel, before and after padding to the subgroup. */
export function weightGradSubgroupTiles(kc: number, tr: number): { perTap: number; padded: number } {
  const perTap = Math.ceil(kc / tr);
  return { perTap, padded: Math.ceil(perTap / SG) * SG };
}

/**
 * Launch for dw through the 8-lane subgroup kernel (buffers: x, gy, out); the contract of
 * weightGradLaunch, with `tr` input channels per lane and 8 output channels.
 */
export function weightGradSubgroupLaunch(g: WeightGradGeometry, tr: number, chunks: number): Launch {
  const a4 = (...v: number[]) => v.every((x) => x % 4 === 0);
  const vecA = a4(g.kc, g.aPix, g.aOff, tr);
  const vecG = a4(g.ncols, g.gPix, g.gOff);
  const { perTap, padded } = weightGradSubgroupTiles(g.kc, tr);
  const tilesR = padded * g.kh * g.kw;
  const tilesC = Math.ceil(g.ncols / TC);
  const nRows = g.batch * g.ho;
  const rowsPerChunk = Math.ceil(nRows / chunks);
  if (Math.ceil(nRows / rowsPerChunk) !== chunks) throw new Error(`weightGradSubgroupLaunch: ${chunks} chunks of ${nRows} rows leave empty chunks`);
  const uniforms = wgradUniforms(g, { tilesR, tilesPerTap: perTap, tilesC, chunks, rowsPerChunk, nRows, tilesPerTapPad: padded });
  return launchOf(spec(tr, vecA, vecG), uniforms, grid1d(Math.ceil((tilesR * tilesC * chunks) / WG)));
}
