// The adapter-peak probe: the highest multiply-add throughput the adapter gives. Every invocation
// runs ACC independent chains of vec4 multiply-adds (enough parallel work to fill a pipeline) on
// lane-specific values: lavapipe merges lanes that compute identical values and would otherwise
// over-report. The result is written out and checked on the CPU, so nothing can be optimised away.
import { ENTRY_PARAMS, Uniforms, grid1d, linearIndex, type KernelSpec, type Launch } from './kernel.js';

export const PEAK_ACC = 16;
const WG = 64;

const SPEC: KernelSpec = {
  name: 'peak_probe',
  bindings: ['read_write'],
  wgsl: `
struct U { n: u32, iters: u32, a: f32, b: f32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(WG)};
  if (i >= u.n) { return; }
  let a = vec4<f32>(u.a);
  let b = vec4<f32>(u.b);
  let s = f32(i % 1024u) * 1e-4;
  ${[...Array(PEAK_ACC).keys()].map((k) => `var x${k} = vec4<f32>(s + ${k}.0 * 0.01, s + ${k}.0 * 0.01 + 0.001, s + ${k}.0 * 0.01 + 0.002, s + ${k}.0 * 0.01 + 0.003);`).join('\n  ')}
  for (var t = 0u; t < u.iters; t++) {
    ${[...Array(PEAK_ACC).keys()].map((k) => `x${k} = x${k} * a + b;`).join('\n    ')}
  }
  out[i] = ${[...Array(PEAK_ACC).keys()].map((k) => `dot(x${k}, vec4<f32>(1.0))`).join(' + ')};
}`,
};

/** n invocations of `iters` iterations: flops = n * iters * PEAK_ACC * 4 lanes * 2. */
export function peakLaunch(n: number, iters: number, a: number, b: number): Launch {
  return { spec: SPEC, uniforms: new Uniforms().u32(n, iters).f32(a, b).pack(), workgroups: grid1d(Math.ceil(n / WG)) };
}

export function peakFlops(n: number, iters: number): number {
  return n * iters * PEAK_ACC * 4 * 2;
}

/** The value invocation i writes, computed in float32 on the CPU (for checking the probe). */
export function peakExpected(i: number, iters: number, a: number, b: number): number {
  const f = Math.fround;
  const s = f(f(i % 1024) * f(1e-4));
  let total = 0;
  for (let k = 0; k < PEAK_ACC; k++) {
    for (let lane = 0; lane < 4; lane++) {
      let x = f(f(s + f(k * 0.01)) + f(lane * 0.001));
      for (let t = 0; t < iters; t++) x = f(f(x * a) + b);
      total += x;
    }
  }
  return total;
}
