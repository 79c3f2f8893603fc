// Dropout with a counter-based mask: element i is kept when to_unit(random_bits(key, counter + i))
// >= p (PCG hash of random.wgsl.ts), and kept values are scaled by 1 / (1 - p). The mask is never
// stored: the backward pass runs this same kernel on the output gradient with the same seed and
// counter, which regenerates the same mask bit for bit.
import { ENTRY_PARAMS, grid1d, linearIndex, type Launch } from './kernel.js';
import { PCG_WGSL, keysOf } from './random.wgsl.js';
import { declared, launchOf, signature } from './signature.js';

const WG = 256;
const DROPOUT = signature(
  'dropout',
  { n: 'u32', key0: 'u32', key1: 'u32', counter: 'u32', p: 'f32', scale: 'f32' },
  {
    x: { type: 'f32', access: 'read', len: (u) => u.n },
    out: { type: 'f32', access: 'write', len: (u) => u.n },
  },
);

/** x contiguous. */
export function dropoutLaunch(n: number, p: number, seed: number, counter: number): Launch<'x' | 'out'> {
  const spec = declared('dropout', DROPOUT, () => `
${PCG_WGSL}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(WG)};
  if (i >= u.n) { return; }
  let keep = to_unit(random_bits(u.key0, u.key1, u.counter + i)) >= u.p;
  out[i] = select(0.0, x[i] * u.scale, keep);
}`);
  const [key0, key1] = keysOf(seed);
  return launchOf(spec, { n, key0, key1, counter: counter >>> 0, p, scale: p < 1 ? 1 / (1 - p) : 0 }, grid1d(Math.ceil(n / WG)));
}
