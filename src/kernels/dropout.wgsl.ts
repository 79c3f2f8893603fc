// Dropout with a counter-based mask: element i is kept when to_unit(random_bits(key, counter + i))
// >= p (PCG hash of random.wgsl.ts), and kept values are scaled by 1 / (1 - p). The mask is never
// stored: the backward pass runs this same kernel on the output gradient with the same seed and
// counter, which regenerates the same mask bit for bit.
import { ENTRY_PARAMS, Uniforms, grid1d, linearIndex, type KernelSpec, type Launch } from './kernel.js';
import { PCG_WGSL, keysOf } from './random.wgsl.js';

const WG = 256;
let spec: KernelSpec | null = null;

/** Buffers: x (contiguous), out. */
export function dropoutLaunch(n: number, p: number, seed: number, counter: number): Launch {
  spec ??= {
    name: 'dropout',
    bindings: ['read', 'read_write'],
    wgsl: `
struct U { n: u32, key0: u32, key1: u32, counter: u32, p: f32, scale: f32, _p0: u32, _p1: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${PCG_WGSL}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(WG)};
  if (i >= u.n) { return; }
  let keep = to_unit(random_bits(u.key0, u.key1, u.counter + i)) >= u.p;
  out[i] = select(0.0, x[i] * u.scale, keep);
}`,
  };
  const [k0, k1] = keysOf(seed);
  return {
    spec,
    uniforms: new Uniforms().u32(n, k0, k1, counter >>> 0).f32(p, p < 1 ? 1 / (1 - p) : 0).u32(0, 0).pack(),
    workgroups: grid1d(Math.ceil(n / WG)),
  };
}
