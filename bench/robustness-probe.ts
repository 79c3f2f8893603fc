// Whether the adapter, as alseg opens it (ALSEG_DAWN_FEATURES included), bounds storage reads:
// 8 invocations read x[0..7] through a binding of the first 4 floats of a 64-float buffer holding
// 1, 2, 3, ... Robust access (Dawn's default) gives 1 2 3 4 and then zeros (or clamped values); with
// the bounds gone the reads past the binding's end return the buffer's next floats, 5 6 7 8. Shows
// whether disable_robustness is in force on an adapter (not part of `npm run bench`).
// node dist-bench/bench/robustness-probe.js
import { destroyEngine, initEngine } from '../src/engine/runtime.js';

const e = await initEngine();
const { device } = e;
const src = device.createBuffer({ size: 64 * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
device.queue.writeBuffer(src, 0, new Float32Array(Array.from({ length: 64 }, (_, i) => i + 1)));
const out = device.createBuffer({ size: 8 * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
const back = device.createBuffer({ size: 8 * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
const module = device.createShaderModule({
  code: `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@compute @workgroup_size(8) fn main(@builtin(local_invocation_index) i: u32) { o[i] = x[i]; }`,
});
const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
const bindGroup = device.createBindGroup({
  layout: pipeline.getBindGroupLayout(0),
  entries: [
    { binding: 0, resource: { buffer: src, offset: 0, size: 4 * 4 } },
    { binding: 1, resource: { buffer: out } },
  ],
});
const encoder = device.createCommandEncoder();
const pass = encoder.beginComputePass();
pass.setPipeline(pipeline);
pass.setBindGroup(0, bindGroup);
pass.dispatchWorkgroups(1);
pass.end();
encoder.copyBufferToBuffer(out, 0, back, 0, 8 * 4);
device.queue.submit([encoder.finish()]);
await back.mapAsync(GPUMapMode.READ);
const got = Array.from(new Float32Array(back.getMappedRange()));
back.unmap();
const past = got.slice(4);
const verdict = past.every((v, k) => v === 5 + k) ? 'not bounded (reads past the binding return the next floats)' : 'bounded (reads past the binding return no memory beyond it)';
console.log(`adapter      ${e.summary.description}`);
console.log(`dawn toggles ${e.dawnFeatures.length ? e.dawnFeatures.join(', ') : '(none)'}`);
console.log(`x[0..7] through a 4-float binding: ${got.join(' ')}: ${verdict}`);
for (const b of [src, out, back]) b.destroy();
await destroyEngine();
