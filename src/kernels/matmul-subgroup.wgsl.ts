// Matmul variant for adapters whose subgroups are exactly 8 lanes wide (lavapipe on AVX2).
// On such adapters a load whose address is not a compile-time constant costs one gather step per
// lane, even when all lanes read the same address. In the portable kernel (matmul.wgsl.ts) the 8
// lanes of a subgroup work on 8 different M-tiles of the same N-tile, so all 8 load the same B
// values. Here each lane loads a different quarter-row of B (lane l: row k + l/2, columns
// n0 + 4(l%2) .. +3) and subgroupBroadcast hands every lane the values it needs: a register
// shuffle instead of 8 gathers. Per 4 steps of k a lane then issues TM vec4 loads of A and one of B
// for 4 * TM * 8 multiply-adds.
import { ENTRY_PARAMS, grid1d, linearIndex, type Launch } from './kernel.js';
import { matmulHeader, matmulSignature, matmulUniforms, storeTile, type MatmulOperand, type MatmulShape, type MatmulSpec } from './matmul.wgsl.js';
import { launchOf, specOf } from './signature.js';

const TN = 8;
const SG = 8;
const WG = 64;

const specs = new Map<string, MatmulSpec>();

function spec(tm: number, vecA: boolean, vecB: boolean): MatmulSpec {
  const name = `matmul_sg8_tm${tm}_${vecA ? 'va' : 'sa'}_${vecB ? 'vb' : 'sb'}`;
  let s = specs.get(name);
  if (s) return s;
  const rows = [...Array(tm).keys()];
  const comps = ['x', 'y', 'z', 'w'];
  // A: 4 consecutive k of one row, zero past K.
  const loadA = (r: number) =>
    vecA
      ? `let a${r} = am[(aRow${r} + k) / 4u];`
      : `let a${r} = vec4<f32>(${[0, 1, 2, 3]
          .map((d) => `select(0.0, am[aRow${r} + min(k + ${d}u, u.k - 1u) * u.aK], k + ${d}u < u.k)`)
          .join(', ')});`;
  const loadB = vecB
    ? `var bv = vec4<f32>(0.0);
    if (bRow < u.k) { bv = bm[(bBase + bRow * u.bK) / 4u + bCol / 4u]; }`
    : `var bv = vec4<f32>(0.0);
    if (bRow < u.k) {
      let at = bBase + bRow * u.bK;
      bv = vec4<f32>(bm[at + min(bCol, u.n - 1u) * u.bN], bm[at + min(bCol + 1u, u.n - 1u) * u.bN],
                     bm[at + min(bCol + 2u, u.n - 1u) * u.bN], bm[at + min(bCol + 3u, u.n - 1u) * u.bN]);
    }`;
  const fmas = [0, 1, 2, 3]
    .map(
      (dk) => `let b${dk}0 = subgroupBroadcast(bv, ${2 * dk}u);
    let b${dk}1 = subgroupBroadcast(bv, ${2 * dk + 1}u);
    ${rows.map((r) => `acc${r}0 += a${r}.${comps[dk]} * b${dk}0;\n    acc${r}1 += a${r}.${comps[dk]} * b${dk}1;`).join('\n    ')}`,
    )
    .join('\n    ');
  const store = storeTile(rows, 'live && ');
  const wgsl = `
enable subgroups;
${matmulHeader(vecA, vecB)}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}, @builtin(subgroup_invocation_id) lane: u32) {
  // No early return: every lane must reach the broadcasts. M-tiles are padded to a multiple of the
  // subgroup so the 8 lanes of a subgroup always share one N-tile; padding lanes compute clamped
  // rows and store nothing.
  let t = ${linearIndex(WG)};
  let live = t < u.tilesMPad * u.tilesN * u.batch;
  let tc = min(t, u.tilesMPad * u.tilesN * u.batch - 1u);
  let mt = tc % u.tilesMPad;
  let rest = tc / u.tilesMPad;
  let nt = rest % u.tilesN;
  let bt = rest / u.tilesN;
  let m0 = mt * ${tm}u;
  let n0 = nt * ${TN}u;
  ${rows.map((r) => `let aRow${r} = u.aOff + bt * u.aBatch + min(m0 + ${r}u, u.m - 1u) * u.aM;`).join('\n  ')}
  let bBase = u.bOff + bt * u.bBatch;
  let bCol = ${vecB ? 'min(n0 + (lane & 1u) * 4u, u.n - 4u)' : 'n0 + (lane & 1u) * 4u'};
  ${rows.map((r) => `var acc${r}0 = vec4<f32>(0.0);\n  var acc${r}1 = vec4<f32>(0.0);`).join('\n  ')}
  for (var k = 0u; k < u.k; k += 4u) {
    let bRow = k + (lane >> 1u);
    ${loadB}
    ${rows.map(loadA).join('\n    ')}
    ${fmas}
  }
  let outBase = bt * u.m * u.n;
  ${store}
}
`;
  s = specOf(name, matmulSignature(vecA, vecB), wgsl);
  specs.set(name, s);
  return s;
}

export function matmulSubgroupLaunch(shape: MatmulShape, a: MatmulOperand, b: MatmulOperand, tm = 4): Launch {
  const { batch, m, n, k } = shape;
  const aligned = (...v: number[]) => v.every((x) => x % 4 === 0);
  const vecA = a.sCol === 1 && aligned(k, a.offset, a.sRow, a.sBatch);
  const vecB = b.sCol === 1 && aligned(n, b.offset, b.sRow, b.sBatch);
  const tilesM = Math.ceil(m / tm);
  const tilesMPad = Math.ceil(tilesM / SG) * SG;
  const tilesN = Math.ceil(n / TN);
  return launchOf(spec(tm, vecA, vecB), matmulUniforms(shape, a, b, tilesM, tilesN, tilesMPad), grid1d(Math.ceil((tilesMPad * tilesN * batch) / WG)));
}
