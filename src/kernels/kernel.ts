// What a kernel is, independent of who runs it: WGSL source, its declared interface (uniform
// fields and storage bindings, signature.ts), and (per launch) a uniform block and a grid. The
// engine turns these into pipelines and dispatches; kernels never import the engine.
// The launch types are declared beside the signature that builds them (signature.ts).
export type { Access, KernelSpec, Launch } from './signature.js';

/** Largest grid dimension every adapter accepts (WebGPU default limit). */
export const MAX_GROUPS_PER_DIM = 65535;

/**
 * Spreads `groups` workgroups over x and y so neither exceeds the per-dimension limit. Kernels
 * recover the linear group id as `wid.y * nwg.x + wid.x` and must bounds-check the tail.
 */
export function grid1d(groups: number): [number, number, number] {
  const g = Math.max(1, groups);
  if (g <= MAX_GROUPS_PER_DIM) return [g, 1, 1];
  const y = Math.ceil(g / MAX_GROUPS_PER_DIM);
  return [Math.ceil(g / y), y, 1];
}

/** WGSL snippet: the linear invocation index of a 1-D launch spread by `grid1d` (workgroup size wg). */
export function linearIndex(wg: number): string {
  return `(wid.y * nwg.x + wid.x) * ${wg}u + lid.x`;
}

/**
 * WGSL `let` lines that split the flat index `flat` into coordinates, fastest first: each entry of
 * `dims` is [name, extent] or [name, extent, 'i32'] (converted for signed window arithmetic), and
 * `rest` takes what is left. `unflatten('t', [['ch', 'u.c'], ['x', 'u.w'], ['y', 'u.h']], 'n')`
 * reads an NHWC element index.
 */
export function unflatten(flat: string, dims: readonly (readonly [string, string] | readonly [string, string, 'i32'])[], rest: string): string {
  const lines: string[] = [];
  let cur = flat;
  dims.forEach(([name, extent, cast], i) => {
    lines.push(`let ${name} = ${cast ? `i32(${cur} % ${extent})` : `${cur} % ${extent}`};`);
    const next = i === dims.length - 1 ? rest : `${flat}_${i + 1}`;
    lines.push(`let ${next} = ${cur} / ${extent};`);
    cur = next;
  });
  return lines.join('\n  ');
}

/**
 * The opening of a one-invocation-per-element kernel: the entry point, `let <index>` = the flat
 * invocation index, and an early return at `bound`. The body follows, and closes the function.
 */
export function flatMain(wg: number, bound: string, index = 't'): string {
  return `@compute @workgroup_size(${wg})
fn main(${ENTRY_PARAMS}) {
  let ${index} = ${linearIndex(wg)};
  if (${index} >= ${bound}) { return; }`;
}

/** Standard entry-point parameters for kernels that use `linearIndex`. */
export const ENTRY_PARAMS =
  '@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>';
