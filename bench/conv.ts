// Convolution benchmarks (issue 3): forward, input gradient and weight gradient of the DeepLabv3+
// layer shapes at batch 4, in GFLOP/s and as a fraction of the adapter-peak probe; plus depthwise
// forward+backward against the same layer through the general (implicit GEMM, one dispatch per
// group) path.
import { Generator } from '../src/engine/random.js';
import { tidy, type Tensor } from '../src/engine/tensor.js';
import { conv2d, conv2dInputGrad, conv2dWeightGrad, convOutputSize, type Conv2dOptions } from '../src/engine/ops/conv.js';
import { sync } from '../src/engine/runtime.js';
import { timeCases, type BenchCase, type BenchContext, type BenchRow } from './harness.js';

interface Layer {
  name: string;
  x: [number, number, number, number];
  k: number;
  cout: number;
  dilation?: number;
  groups?: number;
}

const BATCH = 4;
const LAYERS: Layer[] = [
  { name: '(a) 3x3 64->64 @64x64', x: [BATCH, 64, 64, 64], k: 3, cout: 64 },
  { name: '(b) 3x3 256->256 @16x16 d2', x: [BATCH, 16, 16, 256], k: 3, cout: 256, dilation: 2 },
  { name: '(c) 1x1 256->1024 @16x16', x: [BATCH, 16, 16, 256], k: 1, cout: 1024 },
  { name: '(d) dw 3x3 256 @32x32 d6', x: [BATCH, 32, 32, 256], k: 3, cout: 256, dilation: 6, groups: 256 },
  { name: '(d) 1x1 256->256 @32x32', x: [BATCH, 32, 32, 256], k: 1, cout: 256 },
  { name: '(e) 3x3 304->256 @64x64', x: [BATCH, 64, 64, 304], k: 3, cout: 256 },
];

interface Prepared {
  layer: Layer;
  x: Tensor;
  w: Tensor;
  gy: Tensor;
  opts: Conv2dOptions;
  flops: number;
}

function prepare(layer: Layer, gen: Generator): Prepared {
  const d = layer.dilation ?? 1;
  const pad = (d * (layer.k - 1)) / 2;
  const groups = layer.groups ?? 1;
  const [n, h, w, c] = layer.x;
  const ho = convOutputSize(h, layer.k, 1, pad, d);
  const wo = convOutputSize(w, layer.k, 1, pad, d);
  const opts: Conv2dOptions = { padding: pad, dilation: d, groups };
  return {
    layer,
    x: gen.normal(layer.x).keep(),
    w: gen.normal([layer.k, layer.k, c / groups, layer.cout], 0, 0.05).keep(),
    gy: gen.normal([n, ho, wo, layer.cout]).keep(),
    opts,
    flops: 2 * n * ho * wo * layer.cout * layer.k * layer.k * (c / groups),
  };
}

export async function convSuite(ctx: BenchContext): Promise<BenchRow[]> {
  const gen = new Generator(3);
  const prepared = LAYERS.map((l) => prepare(l, gen));
  const cases: BenchCase[] = [];
  for (const p of prepared) {
    cases.push(
      { name: `${p.layer.name} fwd`, flops: p.flops, run: () => void tidy(() => conv2d(p.x, p.w, p.opts)) },
      { name: `${p.layer.name} dgrad`, flops: p.flops, run: () => void tidy(() => conv2dInputGrad(p.gy, p.w, p.x.shape, p.opts)) },
      { name: `${p.layer.name} wgrad`, flops: p.flops, run: () => void tidy(() => conv2dWeightGrad(p.x, p.gy, p.w.shape, p.opts)) },
    );
  }
  // CONV_BENCH_FILTER (a regular expression over case names) narrows the run while tuning.
  const filter = process.env.CONV_BENCH_FILTER ? new RegExp(process.env.CONV_BENCH_FILTER) : null;
  const rows = await timeCases('conv', filter ? cases.filter((c) => filter.test(c.name)) : cases, ctx);
  if (filter && !filter.test('depthwise')) {
    for (const p of prepared) for (const t of [p.x, p.w, p.gy]) t.dispose();
    return rows;
  }

  // Depthwise fwd + dgrad + wgrad, fast path vs general path.
  const dw = prepared[3];
  const both = (path: 'auto' | 'general') => () =>
    void tidy(() => {
      const o = { ...dw.opts, path };
      conv2d(dw.x, dw.w, o);
      conv2dInputGrad(dw.gy, dw.w, dw.x.shape, o);
      conv2dWeightGrad(dw.x, dw.gy, dw.w.shape, o);
    });
  const cmp = await timeCases(
    'conv',
    [
      { name: '(d) dw fwd+bwd depthwise kernel', flops: 3 * dw.flops, run: both('auto') },
      { name: '(d) dw fwd+bwd general path', flops: 3 * dw.flops, run: both('general') },
    ],
    { ...ctx, quick: true },
    { minSamples: 2 },
  );
  const ratio = cmp[1].ms / cmp[0].ms;
  cmp[0].extra = { speedupVsGeneral: ratio };
  rows.push(...cmp);
  for (const p of prepared) for (const t of [p.x, p.w, p.gy]) t.dispose();
  await sync();
  return rows;
}
