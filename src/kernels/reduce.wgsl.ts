// Reductions of a contiguous [outer, K, inner] view over its middle axis: any set of adjacent axes
// reduces without a copy. One thread per output element walks K; inner is the fastest axis across
// threads so neighbouring threads read neighbouring addresses. When there are too few outputs to
// fill the device and K is long, the launcher splits K into chunks and a second pass reduces them.
import { ENTRY_PARAMS, grid1d, linearIndex, type Launch } from './kernel.js';
import { declared, launchOf, signature } from './signature.js';

export type ReduceOp = 'sum' | 'max' | 'min' | 'argmax';
const WG = 64;

const reduceSignature = (outType: 'f32' | 'i32') =>
  signature(
    'reduce',
    { outer: 'u32', k: 'u32', inner: 'u32', chunk: 'u32', chunks: 'u32', scale: 'f32' },
    {
      x: { type: 'f32', access: 'read', len: (u) => u.outer * u.k * u.inner },
      out: { type: outType, access: 'write', len: (u) => u.outer * u.chunks * u.inner },
    },
  );

function spec(op: ReduceOp) {
  const outType = op === 'argmax' ? 'i32' : 'f32';
  const init = op === 'sum' ? '0.0' : op === 'min' ? '3.4028234663852886e38' : '-3.4028234663852886e38';
  const step =
    op === 'sum'
      ? 'acc += v;'
      : op === 'max'
        ? 'acc = max(acc, v);'
        : op === 'min'
          ? 'acc = min(acc, v);'
          : 'if (v > acc) { acc = v; best = i32(k); }';
  const result = op === 'argmax' ? 'best' : 'acc * u.scale';
  const wgsl = `

@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.outer * u.chunks * u.inner) { return; }
  let i = t % u.inner;
  let oc = t / u.inner;
  let c = oc % u.chunks;
  let o = oc / u.chunks;
  let k0 = c * u.chunk;
  let k1 = min(k0 + u.chunk, u.k);
  var acc = ${init};
  var best = i32(k0);
  var at = (o * u.k + k0) * u.inner + i;
  for (var k = k0; k < k1; k++) {
    let v = x[at];
    ${step}
    at += u.inner;
  }
  out[t] = ${result};
}
`;
  return declared(`reduce_${op}`, reduceSignature(outType), () => wgsl);
}

/** One pass: output [outer, chunks, inner] where chunk c reduces k in [c*chunk, (c+1)*chunk). */
export function reduceLaunch(op: ReduceOp, outer: number, k: number, inner: number, chunk: number, scale = 1): Launch<'x' | 'out'> {
  const chunks = Math.max(1, Math.ceil(k / chunk));
  const n = outer * chunks * inner;
  return launchOf(spec(op), { outer, k, inner, chunk, chunks, scale }, grid1d(Math.ceil(n / WG)));
}

/** Chunk length for the first pass, or K itself when one pass fills the device well enough. */
export function chooseChunk(outputs: number, k: number): number {
  if (outputs >= 4096 || k <= 1024) return k;
  return Math.max(256, Math.ceil(Math.sqrt(k)));
}
