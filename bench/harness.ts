// Shared benchmark plumbing: benny times each case (GPU work is awaited to completion inside the
// case, so a sample is a finished run), and rows carry GFLOP/s and the fraction of the adapter's
// peak measured in the same run.
import * as b from 'benny';
import { sync } from '../src/engine/runtime.js';

export interface BenchRow {
  suite: string;
  name: string;
  /** Median milliseconds per run. */
  ms: number;
  gflops?: number;
  /** gflops / the adapter-peak probe of the same run. */
  ofPeak?: number;
  /** Free-form figures (bytes, ratios, counts). */
  extra?: Record<string, number | string>;
}

export interface BenchContext {
  /** Adapter peak in GFLOP/s, measured at the start of this run. */
  peakGflops: number;
  /** Scale down work on slow adapters (1 = full size). */
  quick: boolean;
}

export interface BenchCase {
  name: string;
  /** Floating-point operations of one run (multiply-add = 2), if meaningful. */
  flops?: number;
  /** Encodes the work of one run; the harness awaits the GPU after it. */
  run: () => void | Promise<void>;
  extra?: Record<string, number | string>;
}

/** Times the cases of one suite with benny; returns one row per case. */
export async function timeCases(suite: string, cases: BenchCase[], ctx: BenchContext, options: { maxTime?: number; minSamples?: number } = {}): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const caseOptions = { minSamples: options.minSamples ?? 3, maxTime: options.maxTime ?? (ctx.quick ? 1 : 3), delay: 0, initCount: 1 };
  // One untimed run per case compiles its pipelines (warm-up is not what we measure).
  for (const c of cases) {
    await c.run();
    await sync();
  }
  await b.suite(
    suite,
    ...cases.map((c) =>
      b.add(
        c.name,
        async () => {
          await c.run();
          await sync();
        },
        caseOptions,
      ),
    ),
    b.complete((summary) => {
      for (const r of summary.results) {
        const c = cases.find((x) => x.name === r.name)!;
        const ms = r.details.median * 1000;
        const row: BenchRow = { suite, name: r.name, ms };
        if (c.flops) {
          row.gflops = c.flops / (ms * 1e6);
          row.ofPeak = row.gflops / ctx.peakGflops;
        }
        if (c.extra) row.extra = c.extra;
        rows.push(row);
      }
    }),
  );
  return rows;
}

export function printRows(rows: BenchRow[]): void {
  const fmt = (x: number | undefined, d = 2) => (x === undefined ? '' : x.toFixed(d));
  console.log(`\n${'suite'.padEnd(10)} ${'case'.padEnd(46)} ${'ms'.padStart(10)} ${'GFLOP/s'.padStart(9)} ${'of peak'.padStart(8)}  extra`);
  for (const r of rows) {
    const extra = r.extra ? Object.entries(r.extra).map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toPrecision(4) : v}`).join(' ') : '';
    console.log(
      `${r.suite.padEnd(10)} ${r.name.padEnd(46)} ${fmt(r.ms).padStart(10)} ${fmt(r.gflops).padStart(9)} ${(r.ofPeak === undefined ? '' : (100 * r.ofPeak).toFixed(1) + '%').padStart(8)}  ${extra}`,
    );
  }
}
