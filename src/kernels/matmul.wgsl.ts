// Batched C[b] = A[b] @ B[b] with arbitrary strides (so transposed views need no copy).
// Register-blocked for software adapters (docs/engine.md, "Software adapters"): loads are what costs on
// lavapipe, so each invocation keeps a TM x TN tile of C in registers and reuses every loaded value
// TN (for A) or TM (for B) times; consecutive lanes take consecutive M-tiles. When a row of B (or
// A) is contiguous and 4-aligned, one vec4 load brings 4 values, the variant's main saving.
import { ENTRY_PARAMS, grid1d, linearIndex, type Launch } from './kernel.js';
import { launchOf, signature, specOf, type DeclaredSpec, type UniformValues } from './signature.js';

const TM = 4;
const TN = 8;
const WG = 64;

export interface MatmulOperand {
  offset: number;
  /** Strides along batch (0 = broadcast), rows and columns. */
  sBatch: number;
  sRow: number;
  sCol: number;
}

export interface MatmulShape {
  batch: number;
  m: number;
  n: number;
  k: number;
}

const specs = new Map<string, MatmulSpec>();

// tilesMPad: the subgroup variant's M-tile count padded to the subgroup (unused by this one).
const MATMUL_U = {
  m: 'u32', n: 'u32', k: 'u32', batch: 'u32',
  aOff: 'u32', aBatch: 'u32', aM: 'u32', aK: 'u32',
  bOff: 'u32', bBatch: 'u32', bK: 'u32', bN: 'u32',
  tilesM: 'u32', tilesN: 'u32', tilesMPad: 'u32',
} as const;
export type MatmulSpec = DeclaredSpec<typeof MATMUL_U>;

/** The declaration shared by the matmul variants: A, B, and out [batch, m, n] contiguous. */
export function matmulSignature(vecA: boolean, vecB: boolean) {
  return signature('matmul', MATMUL_U, {
    am: { type: vecA ? 'vec4<f32>' : 'f32', access: 'read' },
    bm: { type: vecB ? 'vec4<f32>' : 'f32', access: 'read' },
    out: { type: 'f32', access: 'write', len: (u) => u.batch * u.m * u.n },
  });
}

export function matmulHeader(vecA: boolean, vecB: boolean): string {
  return `${matmulSignature(vecA, vecB).header}\n`;
}

/** Uniform values of a launch over tiles of C. */
export function matmulUniforms(shape: MatmulShape, a: MatmulOperand, b: MatmulOperand, tilesM: number, tilesN: number, tilesMPad: number): UniformValues<typeof MATMUL_U> {
  const { batch, m, n, k } = shape;
  return {
    m, n, k, batch,
    aOff: a.offset, aBatch: a.sBatch, aM: a.sRow, aK: a.sCol,
    bOff: b.offset, bBatch: b.sBatch, bK: b.sRow, bN: b.sCol,
    tilesM, tilesN, tilesMPad,
  };
}

/** Stores rows m0..m0+TM-1 of the 8-wide accumulator tile (accR0, accR1), skipping the edges; `guard` adds a condition. */
export function storeTile(rows: readonly number[], guard: string): string {
  return rows
    .map(
      (r) => `if (${guard}m0 + ${r}u < u.m) {
    let o = outBase + (m0 + ${r}u) * u.n;
    for (var c = 0u; c < 4u; c++) {
      if (n0 + c < u.n) { out[o + n0 + c] = acc${r}0[c]; }
      if (n0 + 4u + c < u.n) { out[o + n0 + 4u + c] = acc${r}1[c]; }
    }
  }`,
    )
    .join('\n  ');
}

function spec(vecA: boolean, vecB: boolean): MatmulSpec {
  const name = `matmul_tm${TM}_tn${TN}_${vecA ? 'va' : 'sa'}_${vecB ? 'vb' : 'sb'}`;
  let s = specs.get(name);
  if (s) return s;
  const rows = [...Array(TM).keys()];
  const kStep = vecA ? 4 : 1;
  // B rows k..k+kStep-1 at columns n0..n0+7, as two vec4 each.
  const loadB = (dk: number) =>
    vecB
      ? `let b${dk}0 = bm[(bBase + (k + ${dk}u) * u.bK) / 4u + nv0];
    let b${dk}1 = bm[(bBase + (k + ${dk}u) * u.bK) / 4u + nv1];`
      : `let bk${dk} = bBase + (k + ${dk}u) * u.bK;
    let b${dk}0 = vec4<f32>(bm[bk${dk} + c0 * u.bN], bm[bk${dk} + c1 * u.bN], bm[bk${dk} + c2 * u.bN], bm[bk${dk} + c3 * u.bN]);
    let b${dk}1 = vec4<f32>(bm[bk${dk} + c4 * u.bN], bm[bk${dk} + c5 * u.bN], bm[bk${dk} + c6 * u.bN], bm[bk${dk} + c7 * u.bN]);`;
  const comps = ['x', 'y', 'z', 'w'];
  const fma = rows
    .map((r) => {
      if (!vecA) return `let a${r} = am[aRow${r} + k * u.aK];
    acc${r}0 += a${r} * b00;
    acc${r}1 += a${r} * b01;`;
      const lines = [`let a${r} = am[(aRow${r} + k) / 4u];`];
      for (let dk = 0; dk < 4; dk++) {
        lines.push(`acc${r}0 += a${r}.${comps[dk]} * b${dk}0;`, `acc${r}1 += a${r}.${comps[dk]} * b${dk}1;`);
      }
      return lines.join('\n    ');
    })
    .join('\n    ');
  const store = storeTile(rows, '');
  const wgsl = `
${matmulHeader(vecA, vecB)}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.tilesM * u.tilesN * u.batch) { return; }
  let mt = t % u.tilesM;
  let rest = t / u.tilesM;
  let nt = rest % u.tilesN;
  let bt = rest / u.tilesN;
  let m0 = mt * ${TM}u;
  let n0 = nt * ${TN}u;
  // Edge tiles read clamped rows/columns and skip their stores.
  ${rows.map((r) => `let aRow${r} = u.aOff + bt * u.aBatch + min(m0 + ${r}u, u.m - 1u) * u.aM;`).join('\n  ')}
  let bBase = u.bOff + bt * u.bBatch;
  ${
    vecB
      ? 'let nv0 = min(n0 / 4u, u.n / 4u - 1u);\n  let nv1 = min(n0 / 4u + 1u, u.n / 4u - 1u);'
      : [...Array(TN).keys()].map((c) => `let c${c} = min(n0 + ${c}u, u.n - 1u);`).join('\n  ')
  }
  ${rows.map((r) => `var acc${r}0 = vec4<f32>(0.0);\n  var acc${r}1 = vec4<f32>(0.0);`).join('\n  ')}
  for (var k = 0u; k < u.k; k += ${kStep}u) {
    ${[...Array(kStep).keys()].map(loadB).join('\n    ')}
    ${fma}
  }
  let outBase = bt * u.m * u.n;
  ${store}
}
`;
  s = specOf(name, matmulSignature(vecA, vecB), wgsl);
  specs.set(name, s);
  return s;
}

/** Launch for out[batch, m, n] (contiguous) = A @ B. */
export function matmulLaunch(shape: MatmulShape, a: MatmulOperand, b: MatmulOperand): Launch {
  const { batch, m, n, k } = shape;
  const aligned = (...v: number[]) => v.every((x) => x % 4 === 0);
  const vecA = a.sCol === 1 && aligned(k, a.offset, a.sRow, a.sBatch);
  const vecB = b.sCol === 1 && aligned(n, b.offset, b.sRow, b.sBatch);
  const tilesM = Math.ceil(m / TM);
  const tilesN = Math.ceil(n / TN);
  return launchOf(spec(vecA, vecB), matmulUniforms(shape, a, b, tilesM, tilesN, 0), grid1d(Math.ceil((tilesM * tilesN * batch) / WG)));
}
