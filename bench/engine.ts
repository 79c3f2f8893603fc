// Engine micro-benchmarks: matmul at three sizes (the 256^3, 1024^3 and a conv-like
// 4096x256x2304), polite polling vs Dawn's spinning, and elementwise/reduction bandwidth.
import { setPollYield } from '../src/engine/polling.js';
import { add } from '../src/engine/ops/elementwise.js';
import { matmul } from '../src/engine/ops/matmul.js';
import { sum } from '../src/engine/ops/reduce.js';
import { softmax } from '../src/engine/ops/softmax.js';
import { Generator } from '../src/engine/random.js';
import { Tensor, tidy } from '../src/engine/tensor.js';
import { engine, type Tuning } from '../src/engine/runtime.js';
import { hasSubgroup8 } from '../src/engine/variants.js';
import { timeCases, type BenchCase, type BenchContext, type BenchRow } from './harness.js';

function matmulCase(name: string, m: number, k: number, n: number, gen: Generator): BenchCase & { dispose: () => void } {
  const a = gen.uniform([m, k]).keep();
  const b = gen.uniform([k, n]).keep();
  return {
    name,
    flops: 2 * m * n * k,
    run: () => tidy(() => void matmul(a, b)),
    dispose: () => {
      a.dispose();
      b.dispose();
    },
  };
}

export async function engineSuite(ctx: BenchContext): Promise<BenchRow[]> {
  const gen = new Generator(1);
  const cases = [
    matmulCase('matmul 256^3', 256, 256, 256, gen),
    matmulCase('matmul 1024^3', 1024, 1024, 1024, gen),
    matmulCase('matmul 4096x2304 @ 2304x256 (conv-like)', 4096, 2304, 256, gen),
  ];
  const rows = await timeCases('engine', cases, ctx);

  // The other kernel variants on 1024^3, in the same run (engine().tuning picks the default).
  const tuning = engine().tuning;
  const saved = { ...tuning };
  const variants: [Tuning['matmul'], number][] = [['portable', 4]];
  if (hasSubgroup8(tuning)) variants.push(['subgroup8', 4], ['subgroup8', 8], ['subgroup8', 12], ['subgroup8', 16]);
  for (const [v, tm] of variants) {
    Object.assign(tuning, { matmul: v, matmulTm: tm });
    const [row] = await timeCases('engine', [{ ...cases[1], name: `matmul 1024^3, ${v} kernel, ${tm} rows/lane` }], ctx);
    row.extra = { 'vs default': rows[1].ms / row.ms };
    rows.push(row);
  }
  Object.assign(tuning, saved);

  // Dawn spins a core while we wait on the GPU unless the engine yields (docs/engine.md, "Software adapters").
  setPollYield(0);
  const spin = await timeCases('engine', [{ ...cases[1], name: 'matmul 1024^3, Dawn spinning (no yield)' }], ctx);
  setPollYield(200);
  spin[0].extra = { 'yield speed-up': spin[0].ms / rows[1].ms };
  rows.push(...spin);
  for (const c of cases) c.dispose();

  const n = 1 << 22;
  const x = gen.uniform([n]).keep();
  const y = gen.uniform([n]).keep();
  const logits = gen.uniform([4, 21, 64, 64]).keep();
  const more = await timeCases(
    'engine',
    [
      { name: 'add 4M', run: () => tidy(() => void add(x, y)), extra: { 'GB/s': 0 } },
      { name: 'sum 4M', run: () => tidy(() => void sum(x)), extra: { 'GB/s': 0 } },
      { name: 'softmax 4x21x64x64 over classes', run: () => tidy(() => void softmax(logits, 1)) },
    ],
    ctx,
  );
  more[0].extra = { 'GB/s': (3 * 4 * n) / (more[0].ms * 1e6) };
  more[1].extra = { 'GB/s': (4 * n) / (more[1].ms * 1e6) };
  for (const t of [x, y, logits] as Tensor[]) t.dispose();
  return [...rows, ...more];
}
