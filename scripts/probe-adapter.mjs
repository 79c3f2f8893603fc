// Exits 0 when Dawn finds a usable WebGPU adapter, 1 when it finds none.
// Plain JS so that it runs before the TypeScript build (the setup step needs it first).
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
const gpu = create([]);
let adapter = null;
try {
  adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
} catch (e) {
  console.error(`requestAdapter failed: ${e instanceof Error ? e.message : String(e)}`);
}
if (!adapter) {
  console.error('no WebGPU adapter found');
  process.exit(1);
}
const info = adapter.info;
let ok = true;
try {
  const device = await adapter.requestDevice();
  device.destroy();
} catch (e) {
  console.error(`adapter found but requestDevice failed: ${e instanceof Error ? e.message : String(e)}`);
  ok = false;
}
console.log(`adapter: ${info.vendor} ${info.architecture} ${info.description} (${info.isFallbackAdapter ? 'fallback' : 'hardware or driver'})`);
process.exit(ok ? 0 : 1);
