// Implicit-GEMM convolution for adapters whose subgroups are exactly 8 lanes wide (lavapipe on
// AVX2): the conv2d.wgsl.ts kernel with the B-sharing of matmul-subgroup.wgsl.ts (read its header).
// Consecutive lanes take consecutive M-tiles (output pixels) of the same N-tile (output channels),
// so in the portable kernel all 8 lanes of a subgroup load the same weight values, and on such an
// adapter a load whose address is not a compile-time constant costs one gather step per lane even
// then. Here, with a tile of TM pixels x TN (8 or 16) channels per lane, lane l loads TN/8 vec4 of
// the tap's 4 x TN weight block (row k + l/2, columns n0 + (l%2)*TN/2 .. +TN/2-1) and
// subgroupBroadcast hands every lane the rows it needs: per 4 steps of the reduction a lane issues
// TM loads of A (vec4 along source channels) and TN/8 of B for 4 * TM * TN multiply-adds.
//
// Two forms, both with div == 1 (the forward pass and the stride-1 input gradient): "valid" (every
// source position lies inside A) and "padded", which folds zero padding into the index arithmetic
// instead of reading a zero-padded copy of A: per tap, each row's source pixel is tested against
// the bounds once, its address clamped, and its A loads replaced by zeros by a select (one per
// TN * 4 multiply-adds; a select, not a multiply by 0, so a non-finite value is never smeared), so no copy pass and no extra buffer. Taps are never skipped: every lane
// must reach the broadcasts. div > 1 is not handled: the engine runs a strided input gradient as
// stride-1 gathers per parity class (div = 1).
// No early return either: M-tiles are padded to a multiple of the subgroup so the 8 lanes of a
// subgroup always share one N-tile; padding lanes compute clamped rows, store nothing.
import { ENTRY_PARAMS, grid1d, linearIndex, type Launch } from './kernel.js';
import { igemmHeader, igemmSignature, igemmUniforms, rowSource, type IgemmSpec, type ImplicitGemm } from './conv2d.wgsl.js';
import { launchOf, specOf } from './signature.js';

const SG = 8;
const WG = 64;

const specs = new Map<string, IgemmSpec>();

function spec(tm: number, tn: number, vecA: boolean, vecB: boolean, bias: boolean, padded: boolean, bT: boolean): IgemmSpec {
  if (tn !== 8 && tn !== 16) throw new Error(`conv subgroup tile tn=${tn} must be 8 or 16`);
  if (bT && !(vecA && vecB)) throw new Error('conv subgroup kernel: a transposed B needs vec4 operands');
  const name = `conv_igemm_sg8_tm${tm}_tn${tn}_${vecA ? 'va' : 'sa'}_${vecB ? 'vb' : 'sb'}${bias ? '_bias' : ''}${padded ? '_pad' : ''}${bT ? '_bt' : ''}`;
  let s = specs.get(name);
  if (s) return s;
  const rows = [...Array(tm).keys()];
  // Each lane loads `hv` vec4 of B per block of 4 rows: lane l takes row k + l/2 and columns
  // n0 + (l%2)*tn/2 + 4h .. +3, h < hv; column vec4 v of row dk then sits in lane 2dk + v/hv, part v%hv.
  const hv = tn / 8;
  const hs = [...Array(hv).keys()];
  const vcols = [...Array(tn / 4).keys()];
  const comps = ['x', 'y', 'z', 'w'];
  // A: 4 consecutive source channels of one row, zero past kc (scalar form).
  const mask = (r: number, v: string) => (padded ? `select(vec4<f32>(0.0), ${v}, inside${r})` : v);
  const loadA = (r: number) =>
    vecA
      ? `let a${r} = ${mask(r, `am[pa${r}]`)};`
      : `let a${r} = ${mask(r, `vec4<f32>(${[0, 1, 2, 3]
          .map((d) => `select(0.0, am[base${r} + min(k + ${d}u, u.kc - 1u)], k + ${d}u < u.kc)`)
          .join(', ')})`)};`;
  // B: this lane's quarter-row of the 4 x 8 block of rows k..k+3, zero past kc.
  const loadB = vecB
    ? vecA
      ? hs.map((h) => `let bv${h} = bm[pb + bCol${h}];`).join(' ')
      : `${hs.map((h) => `var bv${h} = vec4<f32>(0.0);`).join(' ')}
      if (k + bLane < u.kc) { ${hs.map((h) => `bv${h} = bm[pb + bCol${h}];`).join(' ')} }`
    : `${hs.map((h) => `var bv${h} = vec4<f32>(0.0);`).join(' ')}
      if (k + bLane < u.kc) {
        ${hs.map((h) => `bv${h} = vec4<f32>(${[0, 1, 2, 3].map((c) => `bm[pb + bc${h}_${c}]`).join(', ')});`).join('\n        ')}
      }`;
  // Transposed B (bT): lane l loads columns n0 + 8h + l, h < hv, as vec4 along k (the stored
  // layout's contiguous axis); one broadcast per lane and h gives every lane the 4 k-values of a
  // column, and the 4-column vectors the multiply-adds need are assembled from their components.
  const fmasT = [
    ...hs.flatMap((h) => [...Array(8).keys()].map((c) => `let t${h}_${c} = subgroupBroadcast(bv${h}, ${c}u);`)),
    ...[0, 1, 2, 3].flatMap((dk) => [
      ...vcols.map((v) => {
        const h = Math.floor(v / 2);
        const c0 = 4 * (v % 2);
        return `let b${dk}_${v} = vec4<f32>(${[0, 1, 2, 3].map((e) => `t${h}_${c0 + e}.${comps[dk]}`).join(', ')});`;
      }),
      ...rows.map((r) => vcols.map((v) => `acc${r}_${v} += a${r}.${comps[dk]} * b${dk}_${v};`).join(' ')),
    ]),
  ].join('\n      ');
  const fmas = bT ? fmasT : [0, 1, 2, 3]
    .map((dk) =>
      [
        ...vcols.map((v) => `let b${dk}_${v} = subgroupBroadcast(bv${v % hv}, ${2 * dk + Math.floor(v / hv)}u);`),
        ...rows.map((r) => vcols.map((v) => `acc${r}_${v} += a${r}.${comps[dk]} * b${dk}_${v};`).join(' ')),
      ].join('\n      '),
    )
    .join('\n      ');
  const validBase = (r: number) =>
    `let base${r} = ((img${r} + u32(by${r} + i32(i) * u.tapY)) * u.srcW + u32(bx${r} + i32(j) * u.tapX)) * u.aPix + u.aOff;`;
  // Padded: a source pixel outside [0, srcH) x [0, srcW) reads pixel 0 of the image, selected away.
  const paddedBase = (r: number) => `let py${r} = by${r} + i32(i) * u.tapY;
      let px${r} = bx${r} + i32(j) * u.tapX;
      let inside${r} = py${r} >= 0 && px${r} >= 0 && u32(py${r}) < u.srcH && u32(px${r}) < u.srcW;
      let base${r} = select(img${r} * u.srcW, (img${r} + u32(py${r})) * u.srcW + u32(px${r}), inside${r}) * u.aPix + u.aOff;`;
  const store = rows
    .map(
      (r) => `if (live && m0 + ${r}u < u.m) {
    let o = orow${r} * u.oPix + u.oOff + n0;
    for (var c = 0u; c < 4u; c++) {
${vcols.map((v) => `      if (n0 + ${4 * v}u + c < u.ncols) { out[o + ${4 * v}u + c] = acc${r}_${v}[c]${bias ? ` + bias[u.biasOff + n0 + ${4 * v}u + c]` : ''}; }`).join('\n')}
    }
  }`,
    )
    .join('\n  ');
  const wgsl = `
enable subgroups;
${igemmHeader(vecA, vecB, bias)}

@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}, @builtin(subgroup_invocation_id) lane: u32) {
  let t = ${linearIndex(WG)};
  let total = u.tilesM * u.tilesN; // tilesM: padded to a multiple of the subgroup
  let live = t < total;
  let tc = min(t, total - 1u);
  let mt = tc % u.tilesM;
  let nt = tc / u.tilesM;
  let m0 = mt * ${tm}u;
  let n0 = nt * ${tn}u;
  ${rows
    .map(
      (r) => `let mr${r} = min(m0 + ${r}u, u.m - 1u);
  ${rowSource(r)}`,
    )
    .join('\n  ')}
  // This lane's row within each block of 4 reduction rows, and its 4 columns.
  let bLane = lane >> 1u;
  ${
    bT
      ? `${hs.map((h) => `let bCol${h} = (min(n0 + ${8 * h}u + lane, u.ncols - 1u) * u.bRow + u.bOff) / 4u;`).join('\n  ')}
  let ro1 = 0u;`
      : vecB
      ? `${hs.map((h) => `let bCol${h} = min(n0 / 4u + (lane & 1u) * ${hv}u + ${h}u, u.ncols / 4u - 1u) + u.bOff / 4u;`).join('\n  ')}
  let ro1 = u.bRow / 4u;`
      : `let bCol = n0 + (lane & 1u) * ${tn / 2}u;
  ${hs.map((h) => [0, 1, 2, 3].map((c) => `let bc${h}_${c} = min(bCol + ${4 * h + c}u, u.ncols - 1u) + u.bOff;`).join('\n  ')).join('\n  ')}
  let ro1 = u.bRow;`
  }
  let ro4 = ${bT ? '1u' : '4u * ro1'};
  ${rows.map((r) => vcols.map((v) => `var acc${r}_${v} = vec4<f32>(0.0);`).join(' ')).join('\n  ')}
  for (var i = 0u; i < u.kh; i++) {
    for (var j = 0u; j < u.kw; j++) {
      ${rows.map(padded ? paddedBase : validBase).join('\n      ')}
      ${vecA ? rows.map((r) => `var pa${r} = base${r} / 4u;`).join(' ') : ''}
      var pb = ${bT ? '(u.tap0 + i * u.tapI + j * u.tapJ) / 4u' : `(u.tap0 + i * u.tapI + j * u.tapJ) / ${vecB ? 4 : 1}u + bLane * ro1`};
      for (var k = 0u; k < u.kc; k += 4u) {
      ${loadB}
      ${rows.map(loadA).join('\n      ')}
      ${fmas}
      ${vecA ? rows.map((r) => `pa${r} += 1u;`).join(' ') : ''}
      pb += ro4;
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
 * Launch of one implicit-GEMM convolution dispatch through the 8-lane subgroup kernel; the same
 * contract as implicitGemmLaunch(g, tile, bias, valid = true) when `padded` is false (every source
 * position of every destination pixel and tap lies inside A); with `padded`, positions outside A
 * read as zeros. div must be 1. Each lane computes `tm` output pixels x `tn` (8 or 16) output channels.
 */
export function implicitGemmSubgroupLaunch(g: ImplicitGemm, tm: number, bias: boolean, tn = 8, padded = false): Launch {
  const bT = g.bTransposed === true;
  if (g.y.div !== 1 || g.x.div !== 1) throw new Error('implicitGemmSubgroupLaunch: needs div = 1 (mask-free source)');
  const m = g.batch * g.dstH * g.dstW;
  const a4 = (...v: number[]) => v.every((x) => x % 4 === 0);
  const vecA = a4(g.kc, g.aPix, g.aOff);
  // A transposed B is read as vec4 along k.
  const vecB = bT ? a4(g.kc, g.bRow, g.bOff) : a4(g.ncols, g.bRow, g.bOff);
  const tilesM = Math.ceil(m / tm);
  const tilesMPad = Math.ceil(tilesM / SG) * SG;
  const tilesN = Math.ceil(g.ncols / tn);
  return launchOf(spec(tm, tn, vecA, vecB, bias, padded, bT), igemmUniforms(g, tilesMPad, tilesN), grid1d(Math.ceil((tilesMPad * tilesN) / WG)));
}
