// Counter-based random numbers: value i of a stream is a pure function of (key, counter + i), so a
// seed gives the same bits on every run and adapter, and any slice can be drawn in parallel.
// The mixing function is the PCG hash (Jarzynski & Olano, "Hash Functions for GPU Rendering",
// JCGT 2020), applied twice with two keys derived from the seed.
import { ENTRY_PARAMS, grid1d, linearIndex, type Launch } from './kernel.js';
import { declared, launchOf, signature } from './signature.js';

export type Distribution = 'uniform' | 'normal' | 'bits';
const WG = 256;

export const PCG_WGSL = `
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
fn random_bits(key0: u32, key1: u32, counter: u32) -> u32 {
  return pcg(pcg(counter + key0) ^ key1);
}
fn to_unit(bits: u32) -> f32 {
  return f32(bits >> 8u) * (1.0 / 16777216.0);
}`;

/** The same hash on the CPU (the reference, and where the keys come from). */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}
export function keysOf(seed: number): [number, number] {
  return [pcgHash(seed >>> 0), pcgHash((seed ^ 0x9e3779b9) >>> 0)];
}
export function randomBits(key0: number, key1: number, counter: number): number {
  return pcgHash((pcgHash((counter + key0) >>> 0) ^ key1) >>> 0);
}
export const toUnit = (bits: number): number => (bits >>> 8) * (1 / 16777216);

const VALUE: Record<Distribution, string> = {
  bits: 'random_bits(u.key0, u.key1, c)',
  uniform: 'to_unit(random_bits(u.key0, u.key1, c)) * u.scale + u.shift',
  // Box-Muller from counters 2c and 2c+1 of the stream; 1 - u1 keeps the log argument in (0, 1].
  normal: `sqrt(-2.0 * log(1.0 - to_unit(random_bits(u.key0, u.key1, 2u * c)))) *
      cos(6.283185307179586 * to_unit(random_bits(u.key0, u.key1, 2u * c + 1u))) * u.scale + u.shift`,
};

function spec(d: Distribution) {
  const sig = signature(
    'random',
    { n: 'u32', key0: 'u32', key1: 'u32', counter: 'u32', scale: 'f32', shift: 'f32' },
    { out: { type: d === 'bits' ? 'u32' : 'f32', access: 'write', len: (u) => u.n } },
  );
  return declared(`random_${d}`, sig, () => `
${PCG_WGSL}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(WG)};
  if (i >= u.n) { return; }
  let c = u.counter + i;
  out[i] = ${VALUE[d]};
}`);
}

/** n values from counter `counter` of the stream of `seed`: uniform in [shift, shift+scale) or normal(shift, scale). */
export function randomLaunch(d: Distribution, n: number, seed: number, counter: number, scale = 1, shift = 0): Launch<'out'> {
  const [key0, key1] = keysOf(seed);
  return launchOf(spec(d), { n, key0, key1, counter: counter >>> 0, scale, shift }, grid1d(Math.ceil(n / WG)));
}
