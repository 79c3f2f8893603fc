// The adapter-peak probe: the highest multiply-add throughput the adapter gives, found by a sweep
// (bench/peak.ts) over the two things that decide it. Independent chains per invocation: a
// pipeline needs several multiply-adds in flight per lane to hide its latency (on lavapipe 16
// chains measured 110 GFLOP/s, 24 chains 135). Workgroup size: how many invocations a core runs
// side by side. Width: f32 or vec4<f32> chains; on a CPU adapter each chain lives in a vector
// register across lanes, and 32 vec4 chains (128 registers) spill where 24 f32 chains fit. The
// body is straight-line code, STEPS unrolled rounds of `chains` multiply-adds and no runtime loop: a loop's counter, compare and branch sit in the same issue
// slots and measured 50 GFLOP/s for the same body on lavapipe. Every invocation starts from
// lane-specific values (lavapipe merges lanes that compute identical values and would otherwise
// over-report); the result is written out and checked on the CPU, so nothing can be optimised away.
import { ENTRY_PARAMS, grid1d, linearIndex, type Launch } from './kernel.js';
import { declared, launchOf, signature } from './signature.js';

/** Rounds of multiply-adds per invocation, unrolled. */
export const PEAK_STEPS = 32;

const PEAK = signature('peak_probe', { n: 'u32', a: 'f32', b: 'f32' }, { out: { type: 'f32', access: 'write', len: (u) => u.n } });

export interface PeakConfig {
  /** Independent chains per invocation. */
  chains: number;
  /** Components per chain: f32 (1) or vec4<f32> (4). */
  width: 1 | 4;
  /** Workgroup size (1-D). */
  wg: number;
}

function wgsl(c: PeakConfig): string {
  const ks = [...Array(c.chains).keys()];
  const t = c.width === 4 ? 'vec4<f32>' : 'f32';
  const round = ks.map((k) => `x${k} = x${k} * a + b;`).join(' ');
  const start = (k: number) =>
    c.width === 4
      ? `vec4<f32>(s + ${k}.0 * 0.01, s + ${k}.0 * 0.01 + 0.001, s + ${k}.0 * 0.01 + 0.002, s + ${k}.0 * 0.01 + 0.003)`
      : `s + ${k}.0 * 0.01`;
  const sum = (k: number) => (c.width === 4 ? `dot(x${k}, vec4<f32>(1.0))` : `x${k}`);
  return `
@compute @workgroup_size(${c.wg})
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(c.wg)};
  if (i >= u.n) { return; }
  let a = ${t}(u.a);
  let b = ${t}(u.b);
  let s = f32(i % 1024u) * 1e-4;
  ${ks.map((k) => `var x${k} = ${start(k)};`).join('\n  ')}
  ${Array(PEAK_STEPS).fill(round).join('\n  ')}
  out[i] = ${ks.map(sum).join(' + ')};
}`;
}

/** n invocations of one probe configuration; a and b are the multiply-add's operands. */
export function peakLaunch(c: PeakConfig, n: number, a: number, b: number): Launch<'out'> {
  const spec = declared(`peak_probe_w${c.width}_c${c.chains}_wg${c.wg}`, PEAK, () => wgsl(c));
  return launchOf(spec, { n, a, b }, grid1d(Math.ceil(n / c.wg)));
}

/** Floating-point operations of n invocations (a multiply-add is 2, a vec4 has 4 components). */
export function peakFlops(c: PeakConfig, n: number): number {
  return n * c.chains * PEAK_STEPS * c.width * 2;
}

/** The value invocation i writes, computed in float32 on the CPU (for checking the probe). */
export function peakExpected(c: PeakConfig, i: number, a: number, b: number): number {
  const f = Math.fround;
  const s = f(f(i % 1024) * f(1e-4));
  let total = 0;
  for (let k = 0; k < c.chains; k++) {
    for (let lane = 0; lane < c.width; lane++) {
      let x = f(f(s + f(k * 0.01)) + f(lane * 0.001));
      for (let t = 0; t < PEAK_STEPS; t++) x = f(f(x * a) + b);
      total += x;
    }
  }
  return total;
}
