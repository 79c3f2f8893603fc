// What a load costs on this adapter, and what register tiles buy against it (not part of
// `npm run bench`; docs/performance.md, "Why the kernel targets are not met on lavapipe").
// 1. Loads by memory kind: each lane reads vec4s at addresses that differ per lane from a storage
//    buffer (as vec4 and as 4 scalars), a uniform buffer, workgroup memory and an rgba32float
//    texture, four independent sums per invocation; reported as ns per lane per vec4, next to the
//    same loop with the loads replaced by arithmetic on the index ("no load").
// 2. Register tiles of the subgroup matmul (the structure of src/kernels/matmul-subgroup.wgsl.ts:
//    a lane owns TM rows, the subgroup shares TN columns of B through broadcasts), 1024^3,
//    as written ("loads") and with the loads replaced by arithmetic ("no loads"): how much of the
//    time the loads take, and whether a larger tile (fewer loads per multiply-add) is faster.
//    Needs 8-lane subgroups (skipped, with the reason, otherwise). Sampled outputs are checked
//    against a float64 CPU product.
// 3. The same tiles with B read from a uniform buffer (section 1's cheapest kind): B repacked as
//    [N/TN][K][TN], one dispatch per TN-column block, each binding its K x TN window (64 KiB at
//    TN 16), against B from storage, alternating.
// 4. The 4x8 tile with A shared by a workgroup's 8 subgroups through workgroup memory (each
//    subgroup its own 8 columns; KC values of k per tile, two barriers per tile), against A from
//    storage, alternating.
// node dist-bench/bench/load-costs.js   REPS=3 TILES=1x8,2x8,4x8,2x16,4x16,4x32
import { openDevice } from '../src/engine/device.js';
import { gpuWait } from '../src/engine/polling.js';

const REPS = Number(process.env.REPS ?? 3);
const TILES = (process.env.TILES ?? '1x8,2x8,3x8,4x8,6x8,2x16,4x16,4x32').split(',').map((t) => t.split('x').map(Number) as [number, number]);
for (const [tm, tn] of TILES) {
  // The tile kernel stores whole tiles: TN must divide N (1024) and be a multiple of 8 (the subgroup).
  if (!(tm >= 1 && tn % 8 === 0 && 1024 % tn === 0)) throw new Error(`load-costs: TILES entry ${tm}x${tn}: TM >= 1, TN a multiple of 8 that divides 1024`);
}
const opened = await openDevice();
const { device, features } = opened;
// Dawn's instance (`opened.gpu`) must outlive the device's work, and Dawn resolves its promises
// from event-loop ticks: a timer whose closure holds `opened` keeps both alive (an unreferenced
// top-level binding may be collected, and an idle loop lets node exit with work pending).
const keepAlive = setInterval(() => void opened, 1000);
void keepAlive;
const usage = GPUBufferUsage;

function buffer(data: Float32Array, extra = 0): GPUBuffer {
  const b = device.createBuffer({ size: data.byteLength, usage: usage.STORAGE | usage.COPY_DST | usage.COPY_SRC | extra });
  device.queue.writeBuffer(b, 0, data);
  return b;
}

async function pipelineOf(code: string): Promise<GPUComputePipeline> {
  const module = device.createShaderModule({ code });
  const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
  if (errors.length) throw new Error(`load-costs: shader does not compile: ${errors.map((e) => e.message).join('; ')}`);
  return device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
}

/**
 * Median wall time (ms) of one dispatch of `groups` workgroups per bind group (`entries`: one list,
 * or a list per dispatch), after a warm-up.
 */
async function time(pipeline: GPUComputePipeline, entries: GPUBindGroupEntry[] | GPUBindGroupEntry[][], groups: number): Promise<number> {
  const lists = Array.isArray(entries[0]) ? (entries as GPUBindGroupEntry[][]) : [entries as GPUBindGroupEntry[]];
  const bindGroups = lists.map((e) => device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: e }));
  const once = async () => {
    const t0 = performance.now();
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    for (const bindGroup of bindGroups) {
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(groups);
    }
    pass.end();
    device.queue.submit([enc.finish()]);
    await gpuWait(device.queue.onSubmittedWorkDone());
    return performance.now() - t0;
  };
  await once();
  const ms: number[] = [];
  for (let r = 0; r < REPS; r++) ms.push(await once());
  return ms.sort((a, b) => a - b)[Math.floor(REPS / 2)];
}

// ---- 1. loads by memory kind
const NV = 4096; // vec4s in the source: 64 KiB, the uniform-binding limit of WebGPU's defaults
const WG = 64;
const GROUPS = 512;
const ITERS = 256;
const source = Float32Array.from({ length: NV * 4 }, (_, i) => (i % 7) * 0.001);
const src = buffer(source, usage.UNIFORM);
const sink = device.createBuffer({ size: WG * GROUPS * 16, usage: usage.STORAGE });
const texture = device.createTexture({ size: [64, 64], format: 'rgba32float', usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST });
device.queue.writeTexture({ texture }, source, { bytesPerRow: 64 * 16 }, [64, 64]);
const mask = `${NV - 1}u`;
const loopOf = (load: (i: string) => string, prelude = '') => `
@group(0) @binding(1) var<storage, read_write> o: array<vec4f>;
@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) g: vec3u, @builtin(local_invocation_index) li: u32) {
  ${prelude}
  var a = vec4f(0.0); var b = vec4f(0.0); var c = vec4f(0.0); var d = vec4f(0.0);
  var idx = (li * 33u + g.x) & ${mask};
  for (var i = 0u; i < ${ITERS}u; i += 4u) {
    a += ${load('idx')}; b += ${load(`((idx + 5u) & ${mask})`)}; c += ${load(`((idx + 10u) & ${mask})`)}; d += ${load(`((idx + 15u) & ${mask})`)};
    idx = (idx + 20u) & ${mask};
  }
  o[g.x] = a + b + c + d;
}`;
const storage = `@group(0) @binding(0) var<storage, read> s: array<vec4f>;`;
const kinds: [string, string, GPUBindingResource][] = [
  ['no load (index arithmetic)', storage + loopOf((i) => `vec4f(f32(${i}))`, 'let keep = s[0].x; if (keep > 1e30) { return; }'), { buffer: src }],
  ['storage, vec4<f32>', storage + loopOf((i) => `s[${i}]`), { buffer: src }],
  ['storage, 4 x f32', `@group(0) @binding(0) var<storage, read> s: array<f32>;` + loopOf((i) => `vec4f(s[${i} * 4u], s[${i} * 4u + 1u], s[${i} * 4u + 2u], s[${i} * 4u + 3u])`), { buffer: src }],
  ['uniform, vec4<f32>', `@group(0) @binding(0) var<uniform> s: array<vec4f, ${NV}>;` + loopOf((i) => `s[${i}]`), { buffer: src }],
  ['workgroup, vec4<f32>', storage + `var<workgroup> w: array<vec4f, 1024>;` + loopOf((i) => `w[(${i}) & 1023u]`, 'for (var k = li; k < 1024u; k += 64u) { w[k] = s[k]; } workgroupBarrier();'), { buffer: src }],
  ['texture, rgba32float', `@group(0) @binding(0) var t: texture_2d<f32>;` + loopOf((i) => `textureLoad(t, vec2u((${i}) & 63u, (${i}) >> 6u), 0)`), texture.createView()],
];
console.log(`loads by memory kind: ${WG * GROUPS} invocations x ${ITERS} vec4 loads each, median of ${REPS}`);
for (const [name, code, resource] of kinds) {
  const ms = await time(await pipelineOf(code), [{ binding: 0, resource }, { binding: 1, resource: { buffer: sink } }], GROUPS);
  console.log(`  ${name.padEnd(28)} ${ms.toFixed(2).padStart(8)} ms  ${((ms * 1e6) / (WG * GROUPS * ITERS)).toFixed(3)} ns per lane per vec4`);
}

// ---- 2. register tiles of the subgroup matmul
const M = 1024;
const N = 1024;
const K = 1024;
const COMPS = ['x', 'y', 'z', 'w'];
/** `uniformB`: B from a uniform window of one TN-column block (binding 1, block index at binding 3). */
function tileKernel(tm: number, tn: number, loads: boolean, uniformB = false): { code: string; groups: number } {
  const q = tn / 8; // vec4 loads of B per lane per 4 steps of k
  const rows = [...Array(tm).keys()];
  const cols = [...Array(2 * q).keys()];
  const tilesMPad = Math.ceil(Math.ceil(M / tm) / 8) * 8;
  const tiles = uniformB ? tilesMPad : tilesMPad * Math.ceil(N / tn);
  const loadB = (j: number) =>
    !loads
      ? `vec4f(f32(bRow + ${j}u) + d0)`
      : uniformB
        ? `bu[(k + (lane >> 1u)) * ${tn / 4}u + (lane & 1u) + ${2 * j}u]`
        : `bm[bRow + min(n0 / 4u + (lane & 1u) + ${2 * j}u, ${N / 4 - 1}u)]`;
  const loadA = (r: number) => (loads ? `am[aRow${r} + k / 4u]` : `vec4f(f32(k + ${r}u) + d0)`);
  const code = `enable subgroups;
@group(0) @binding(0) var<storage, read> am: array<vec4f>;
${uniformB ? `@group(0) @binding(1) var<uniform> bu: array<vec4f, ${(K * tn) / 4}>;
@group(0) @binding(3) var<uniform> block: vec4u;` : '@group(0) @binding(1) var<storage, read> bm: array<vec4f>;'}
@group(0) @binding(2) var<storage, read_write> out: array<vec4f>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let t = min(g.x, ${tiles - 1}u);
  let m0 = (t % ${tilesMPad}u) * ${tm}u;
  let n0 = ${uniformB ? `block.x * ${tn}u` : `(t / ${tilesMPad}u) * ${tn}u`};
  let d0 = am[lane].x + ${uniformB ? 'bu[lane].x' : 'bm[lane].x'};
  ${rows.map((r) => `let aRow${r} = min(m0 + ${r}u, ${M - 1}u) * ${K / 4}u;`).join('\n  ')}
  ${rows.map((r) => cols.map((c) => `var acc${r}_${c} = vec4f(0.0);`).join(' ')).join('\n  ')}
  for (var k = 0u; k < ${K}u; k += 4u) {
    let bRow = (k + (lane >> 1u)) * ${N / 4}u;
    ${[...Array(q).keys()].map((j) => `let bv${j} = ${loadB(j)};`).join('\n    ')}
    ${rows.map((r) => `let a${r} = ${loadA(r)};`).join('\n    ')}
    ${[0, 1, 2, 3]
      .map((dk) => `${cols.map((c) => `let b${dk}_${c} = subgroupBroadcast(bv${c >> 1}, ${2 * dk + (c & 1)}u);`).join(' ')}
    ${rows.map((r) => cols.map((c) => `acc${r}_${c} += a${r}.${COMPS[dk]} * b${dk}_${c};`).join(' ')).join('\n    ')}`)
      .join('\n    ')}
  }
  if (g.x < ${tiles}u) {
    ${rows.map((r) => `if (m0 + ${r}u < ${M}u) { ${cols.map((c) => `out[((m0 + ${r}u) * ${N}u + n0) / 4u + ${c}u] = acc${r}_${c};`).join(' ')} }`).join('\n    ')}
  }
}`;
  return { code, groups: Math.ceil(tiles / 64) };
}

async function checkProduct(c: GPUBuffer, a: Float32Array, b: Float32Array, label: string): Promise<void> {
  const staging = device.createBuffer({ size: M * N * 4, usage: usage.MAP_READ | usage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(c, 0, staging, 0, M * N * 4);
  device.queue.submit([enc.finish()]);
  await gpuWait(staging.mapAsync(GPUMapMode.READ));
  const got = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  for (let t = 0; t < 256; t++) {
    const i = (t * 7919) % M;
    const j = (t * 104729) % N;
    let s = 0;
    for (let k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
    // float32 sums of 1024 products of values in [-0.5, 0.5]
    if (Math.abs(s - got[i * N + j]) > 1e-3) throw new Error(`load-costs: tile ${label} computed C[${i}][${j}] = ${got[i * N + j]}, want ${s}`);
  }
}

const sg = (features as readonly string[]).includes('subgroups');
if (!sg) {
  console.log('register tiles: skipped, the adapter has no subgroups (the tile kernels share B through subgroupBroadcast)');
} else {
  const a = Float32Array.from({ length: M * K }, (_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5);
  const b = Float32Array.from({ length: K * N }, (_, i) => ((i * 40503) % 1000) / 1000 - 0.5);
  const [am, bm] = [buffer(a), buffer(b)];
  const cm = device.createBuffer({ size: M * N * 4, usage: usage.STORAGE | usage.COPY_SRC });
  const entries = [am, bm, cm].map((buffer, binding) => ({ binding, resource: { buffer } }));
  const lanes = await pipelineOf(`enable subgroups;\n@group(0) @binding(0) var<storage, read_write> o: array<u32>;\n@compute @workgroup_size(64) fn main(@builtin(local_invocation_index) i: u32, @builtin(subgroup_size) s: u32) { if (i == 0u) { o[0] = s; } }`);
  const probe = device.createBuffer({ size: 16, usage: usage.STORAGE | usage.COPY_SRC });
  await time(lanes, [{ binding: 0, resource: { buffer: probe } }], 1);
  const staging = device.createBuffer({ size: 16, usage: usage.MAP_READ | usage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(probe, 0, staging, 0, 16);
  device.queue.submit([enc.finish()]);
  await gpuWait(staging.mapAsync(GPUMapMode.READ));
  const width = new Uint32Array(staging.getMappedRange())[0];
  if (width !== 8) {
    console.log(`register tiles: skipped, subgroups are ${width} lanes wide (the tile kernels assume 8, as matmul-subgroup.wgsl.ts does)`);
  } else {
    console.log(`register tiles, subgroup matmul ${M}x${N}x${K} (GFLOP/s, median of ${REPS}; TM rows per lane x TN columns per subgroup)`);
    for (const [tm, tn] of TILES) {
      const gf: string[] = [];
      for (const loads of [true, false]) {
        const { code, groups } = tileKernel(tm, tn, loads);
        const p = await pipelineOf(code);
        const ms = await time(p, entries, groups);
        if (loads) await checkProduct(cm, a, b, `${tm}x${tn}`);
        gf.push(((2 * M * N * K) / (ms * 1e6)).toFixed(1).padStart(6));
      }
      console.log(`  ${`${tm}x${tn}`.padEnd(6)} accumulators per lane ${String(tm * tn).padStart(3)}  loads ${gf[0]}  no loads ${gf[1]}`);
    }

    // 3. B through uniform windows: [N/16][K][16] blocks of 64 KiB, one dispatch per block.
    const TN = 16;
    const packed = new Float32Array(K * N);
    for (let nb = 0; nb < N / TN; nb++) for (let k = 0; k < K; k++) for (let c = 0; c < TN; c++) packed[(nb * K + k) * TN + c] = b[k * N + nb * TN + c];
    const bp = buffer(packed, usage.UNIFORM);
    const blocks = [...Array(N / TN).keys()].map((nb) => {
      const index = device.createBuffer({ size: 16, usage: usage.UNIFORM | usage.COPY_DST });
      device.queue.writeBuffer(index, 0, new Uint32Array([nb, 0, 0, 0]));
      return [
        { binding: 0, resource: { buffer: am } },
        { binding: 1, resource: { buffer: bp, offset: nb * K * TN * 4, size: K * TN * 4 } },
        { binding: 2, resource: { buffer: cm } },
        { binding: 3, resource: { buffer: index } },
      ];
    });
    console.log(`B through uniform windows (${N / TN} dispatches of K x ${TN}) against B from storage, GFLOP/s, alternating ${REPS} times`);
    for (const tm of [2, 4]) {
      const kinds = [false, true];
      const pipes = await Promise.all(kinds.map((u) => pipelineOf(tileKernel(tm, TN, true, u).code)));
      const runs: number[][] = [[], []];
      for (let rep = 0; rep < REPS; rep++) {
        for (const [i, u] of kinds.entries()) {
          const { groups } = tileKernel(tm, TN, true, u);
          const ms = await time(pipes[i], u ? blocks : entries, groups);
          if (rep === 0) await checkProduct(cm, a, b, `${tm}x${TN}${u ? ' uniform B' : ''}`);
          runs[i].push((2 * M * N * K) / (ms * 1e6));
        }
      }
      const med = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)].toFixed(1);
      console.log(`  ${tm}x${TN}  storage B ${med(runs[0])}  uniform B ${med(runs[1])}  (each run: ${runs[0].map((v) => v.toFixed(1)).join(' ')} | ${runs[1].map((v) => v.toFixed(1)).join(' ')})`);
    }

    // 4. A through workgroup memory, shared by the workgroup's 8 subgroups.
    const variants: [string, string, number][] = [['storage A', tileKernel(4, 8, true).code, tileKernel(4, 8, true).groups]];
    for (const kc of [64, 256]) variants.push([`shared A, KC ${kc}`, sharedTileKernel(4, kc), (M / 32) * (N / 64)]);
    const shared = await Promise.all(variants.map(([, code]) => pipelineOf(code)));
    const sruns: number[][] = variants.map(() => []);
    for (let rep = 0; rep < REPS; rep++) {
      for (const [i, [name, , groups]] of variants.entries()) {
        const ms = await time(shared[i], entries, groups);
        if (rep === 0) await checkProduct(cm, a, b, `4x8 ${name}`);
        sruns[i].push((2 * M * N * K) / (ms * 1e6));
      }
    }
    console.log(`A through workgroup memory (4x8 tile, 8 subgroups x 8 columns per workgroup) against A from storage, GFLOP/s, alternating ${REPS} times`);
    for (const [i, [name]] of variants.entries()) {
      const v = [...sruns[i]].sort((x, y) => x - y);
      console.log(`  ${name.padEnd(16)} ${v[Math.floor(v.length / 2)].toFixed(1)}  (each run: ${sruns[i].map((x) => x.toFixed(1)).join(' ')})`);
    }
  }
}

/**
 * The subgroup tile with A staged in workgroup memory: a workgroup owns 8 * tm rows and 64 columns,
 * its 8 subgroups 8 columns each; per KC values of k the 64 lanes copy the rows' A tile in, then
 * every subgroup reads its lanes' rows from it (a barrier before and after the copy).
 */
function sharedTileKernel(tm: number, KC: number): string {
  const rows = [...Array(tm).keys()];
  const cols = [0, 1];
  const MW = 8 * tm;
  const KV = KC / 4;
  const fmas = [0, 1, 2, 3]
    .map((dk) => `${cols.map((c) => `let b${dk}_${c} = subgroupBroadcast(bv, ${2 * dk + c}u);`).join(' ')}
      ${rows.map((r) => cols.map((c) => `acc${r}_${c} += a${r}.${COMPS[dk]} * b${dk}_${c};`).join(' ')).join('\n      ')}`)
    .join('\n      ');
  return `enable subgroups;
@group(0) @binding(0) var<storage, read> am: array<vec4f>;
@group(0) @binding(1) var<storage, read> bm: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4f>;
var<workgroup> at: array<vec4f, ${MW * KV}>;
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let m0 = (wg.x % ${M / MW}u) * ${MW}u;
  let n0 = (wg.x / ${M / MW}u) * 64u + (li / 8u) * 8u;
  ${rows.map((r) => cols.map((c) => `var acc${r}_${c} = vec4f(0.0);`).join(' ')).join('\n  ')}
  for (var kc = 0u; kc < ${K}u; kc += ${KC}u) {
    workgroupBarrier();
    for (var e = li; e < ${MW * KV}u; e += 64u) { at[e] = am[(m0 + e / ${KV}u) * ${K / 4}u + kc / 4u + e % ${KV}u]; }
    workgroupBarrier();
    for (var kv = 0u; kv < ${KV}u; kv++) {
      let bv = bm[(kc + kv * 4u + (lane >> 1u)) * ${N / 4}u + n0 / 4u + (lane & 1u)];
      ${rows.map((r) => `let a${r} = at[(lane * ${tm}u + ${r}u) * ${KV}u + kv];`).join('\n      ')}
      ${fmas}
    }
  }
  ${rows.map((r) => cols.map((c) => `out[((m0 + lane * ${tm}u + ${r}u) * ${N}u + n0) / 4u + ${c}u] = acc${r}_${c};`).join(' ')).join('\n  ')}
}`;
}
process.exit(0);
