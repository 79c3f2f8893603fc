// Kernel-variant comparison (not part of `npm run bench`): for each issue-3 layer and pass, runs the
// given conv configurations alternately in one process (bench/alternate.ts) and reports the median
// wall and process CPU time of each and its ratios to the first.
// node dist-bench/bench/conv-variants.js '<config json>' '<config json>' ...
// LAYERS=a,b,c,e  PARTS=fwd,dgrad,wgrad  REPS=5
import { destroyEngine, engine, initEngine, sync } from '../src/engine/runtime.js';
import { conv2d, conv2dInputGrad, conv2dWeightGrad, convOutputSize, setConvConfig, type ConvConfig } from '../src/engine/ops/conv.js';
import { Generator } from '../src/engine/random.js';
import { tidy } from '../src/engine/tensor.js';
import { hasSubgroup8 } from '../src/engine/variants.js';
import { alternate } from './alternate.js';

interface Layer {
  x: [number, number, number, number];
  k: number;
  cout: number;
  d: number;
}
const ALL: Record<string, Layer> = {
  a: { x: [4, 64, 64, 64], k: 3, cout: 64, d: 1 },
  b: { x: [4, 16, 16, 256], k: 3, cout: 256, d: 2 },
  c: { x: [4, 16, 16, 256], k: 1, cout: 1024, d: 1 },
  d1: { x: [4, 32, 32, 256], k: 1, cout: 256, d: 1 },
  e: { x: [4, 64, 64, 304], k: 3, cout: 256, d: 1 },
};
const configs = process.argv.slice(2).map((s) => JSON.parse(s) as Partial<ConvConfig>);
const names = (process.env.LAYERS ?? 'a,b,c,e').split(',');
const parts = (process.env.PARTS ?? 'fwd,dgrad,wgrad').split(',');
const REPS = Number(process.env.REPS ?? 5);
await initEngine();
if (configs.length === 0) {
  configs.push({ kernel: 'portable' });
  if (hasSubgroup8(engine().tuning)) configs.push({ kernel: 'subgroup8' });
  else console.log(`subgroup8 not measured: ${engine().tuning.reason}`);
}
const gen = new Generator(1);
for (const name of names) {
  const l = ALL[name];
  const pad = (l.d * (l.k - 1)) / 2;
  const [n, h, w, c] = l.x;
  const ho = convOutputSize(h, l.k, 1, pad, l.d);
  const wo = convOutputSize(w, l.k, 1, pad, l.d);
  const x = gen.normal(l.x).keep();
  const wt = gen.normal([l.k, l.k, c, l.cout], 0, 0.05).keep();
  const gy = gen.normal([n, ho, wo, l.cout]).keep();
  const flops = 2 * n * ho * wo * l.cout * l.k * l.k * c;
  const opts = { padding: pad, dilation: l.d };
  for (const part of parts) {
    const fn =
      part === 'fwd'
        ? () => void tidy(() => conv2d(x, wt, opts))
        : part === 'dgrad'
          ? () => void tidy(() => conv2dInputGrad(gy, wt, x.shape, opts))
          : () => void tidy(() => conv2dWeightGrad(x, gy, wt.shape, opts));
    for (const cfg of configs) {
      setConvConfig(cfg);
      fn(); // warm-up: pipeline compilation
      await sync();
    }
    const { wall: med, cpu: cmed } = await alternate(configs.length, REPS, (i) => {
      setConvConfig(configs[i]);
      fn();
    });
    const cells = configs.map(
      (cfg, i) =>
        `${JSON.stringify(cfg)} wall ${med[i].toFixed(1)}ms ${(flops / (med[i] * 1e6)).toFixed(2)} GFLOP/s x${(med[0] / med[i]).toFixed(2)}, cpu ${cmed[i].toFixed(0)}ms x${(cmed[0] / cmed[i]).toFixed(2)}`,
    );
    console.log(`(${name}) ${part}: ${cells.join(' | ')}`);
  }
  for (const t of [x, wt, gy]) t.dispose();
}
setConvConfig(null);
await destroyEngine();
