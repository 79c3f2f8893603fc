// Runs the model suite alone: node dist-bench/bench/model-main.js [--full] [peakGflops]
// (--full adds r50 at 256x256 batch 2, which takes minutes on a software adapter).
import { destroyEngine, initEngine } from '../src/engine/runtime.js';
import { printRows } from './harness.js';
import { modelSuite } from './model.js';

await initEngine();
const full = process.argv.includes('--full');
const peak = Number(process.argv.find((a) => /^\d/.test(a)) ?? 140);
const rows = await modelSuite({ peakGflops: peak, quick: !full });
printRows(rows);
await destroyEngine();
