// Tile tuning helper (not part of `npm run bench`): min-of-N timings of one conv layer's forward,
// input gradient and weight gradient under several tile configurations, robust to other processes
// sharing the CPU. node dist-bench/bench/conv-tune.js '<layer json>' '<config json>' ...
import { destroyEngine, initEngine, sync } from '../src/engine/runtime.js';
import { conv2d, conv2dInputGrad, conv2dWeightGrad, convOutputSize, setConvConfig, type ConvConfig } from '../src/engine/ops/conv.js';
import { Generator } from '../src/engine/random.js';
import { tidy } from '../src/engine/tensor.js';

interface LayerArg {
  x: [number, number, number, number];
  k: number;
  cout: number;
  d?: number;
}
const layer = JSON.parse(process.argv[2]) as LayerArg;
const configs = process.argv.slice(3).map((s) => JSON.parse(s) as Partial<ConvConfig>);
await initEngine();
const gen = new Generator(1);
const d = layer.d ?? 1;
const pad = (d * (layer.k - 1)) / 2;
const [n, h, w, c] = layer.x;
const ho = convOutputSize(h, layer.k, 1, pad, d);
const wo = convOutputSize(w, layer.k, 1, pad, d);
const x = gen.normal(layer.x).keep();
const wt = gen.normal([layer.k, layer.k, c, layer.cout]).keep();
const gy = gen.normal([n, ho, wo, layer.cout]).keep();
const flops = 2 * n * ho * wo * layer.cout * layer.k * layer.k * c;
const opts = { padding: pad, dilation: d };
const REPS = Number(process.env.REPS ?? 5);
const PARTS = process.env.PARTS ?? 'fwd,dgrad,wgrad';
async function best(fn: () => void, reps = REPS): Promise<number> {
  fn();
  await sync();
  let min = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    await sync();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}
for (const cfg of configs) {
  setConvConfig(cfg);
  const f = PARTS.includes('fwd') ? await best(() => void tidy(() => conv2d(x, wt, opts))) : NaN;
  const dg = PARTS.includes('dgrad') ? await best(() => void tidy(() => conv2dInputGrad(gy, wt, x.shape, opts))) : NaN;
  const wg = PARTS.includes('wgrad') ? await best(() => void tidy(() => conv2dWeightGrad(x, gy, wt.shape, opts))) : NaN;
  const g = (ms: number) => (flops / (ms * 1e6)).toFixed(1);
  console.log(`${JSON.stringify(cfg)}  fwd ${f.toFixed(1)}ms ${g(f)}  dgrad ${dg.toFixed(1)}ms ${g(dg)}  wgrad ${wg.toFixed(1)}ms ${g(wg)} GFLOP/s`);
}
await destroyEngine();
