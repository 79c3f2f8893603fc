// Runs the conv suite alone: node dist-bench/bench/conv-main.js [peakGflops]
// CONV_TILES='{"fwd":{"tm":4,"tn":8}}' overrides the per-adapter tile choice; CONV_BENCH_FILTER narrows cases.
import { destroyEngine, initEngine } from '../src/engine/runtime.js';
import { setConvConfig, type ConvConfig } from '../src/engine/ops/conv.js';
import { printRows } from './harness.js';
import { convSuite } from './conv.js';

await initEngine();
if (process.env.CONV_TILES) setConvConfig(JSON.parse(process.env.CONV_TILES) as Partial<ConvConfig>);
const rows = await convSuite({ peakGflops: Number(process.argv[2] ?? 140), quick: true });
printRows(rows);
await destroyEngine();
