// `npm run bench [-- --quick] [-- --only engine,conv] [-- --compare bench/results/<file>.json]`:
// runs every suite, prints a table, writes bench/results/<adapter>.json, and with --compare prints
// each case's speed ratio against an earlier result.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { destroyEngine, initEngine } from '../src/engine/runtime.js';
import { engineSuite } from './engine.js';
import { printRows, type BenchContext, type BenchRow } from './harness.js';
import { measurePeak } from './peak.js';
import { SUITES } from './suites.js';

interface Result {
  adapter: string;
  date: string;
  /** ALSEG_DAWN_FEATURES in force (absent in results written before it existed). */
  dawnFeatures?: string[];
  peakGflops: number;
  rows: BenchRow[];
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function compare(current: Result, file: string): void {
  const before = JSON.parse(readFileSync(file, 'utf8')) as Result;
  console.log(`\ncompared with ${file} (${before.adapter}, ${before.date}); ratio > 1 means faster now`);
  for (const r of current.rows) {
    const old = before.rows.find((o) => o.suite === r.suite && o.name === r.name);
    if (!old) continue;
    console.log(`  ${r.suite.padEnd(10)} ${r.name.padEnd(46)} ${(old.ms / r.ms).toFixed(2)}x  (${old.ms.toFixed(2)} -> ${r.ms.toFixed(2)} ms)`);
  }
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const only = arg('only')?.split(',');
  const e = await initEngine();
  // Results with Dawn toggles go to a file of their own, beside the adapter's plain one.
  const toggles = e.dawnFeatures.length ? `+${e.dawnFeatures.join('+')}` : '';
  const adapter = `${e.summary.vendor}-${e.summary.device || e.summary.architecture}`.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/-+$/, '') + toggles;
  console.log(`adapter: ${e.summary.description} (${e.summary.backend}${e.summary.isSoftware ? ', software' : ''})${toggles ? `, Dawn toggles ${e.dawnFeatures.join(', ')}` : ''}`);
  const peak = await measurePeak(quick);
  const cfg = (c: { width: number; chains: number; wg: number }) => `${c.chains} ${c.width === 4 ? 'vec4' : 'f32'} chains x workgroup ${c.wg}`;
  console.log(`adapter-peak probe sweep: ${peak.sweep.map((s) => `${cfg(s.config)} ${s.gflops.toFixed(1)}`).join('; ')} GFLOP/s`);
  console.log(`adapter-peak probe: ${peak.gflops.toFixed(1)} GFLOP/s, won by ${cfg(peak.best)} (output checked at ${peak.checked} invocations)`);
  const ctx: BenchContext = { peakGflops: peak.gflops, quick };
  const rows: BenchRow[] = [
    { suite: 'peak', name: `multiply-add probe (best: ${cfg(peak.best)})`, ms: peak.ms, gflops: peak.gflops, ofPeak: 1 },
    ...peak.sweep.map((s) => ({ suite: 'peak', name: `probe ${cfg(s.config)}`, ms: s.ms, gflops: s.gflops, ofPeak: s.gflops / peak.gflops })),
  ];
  const suites: [string, (c: BenchContext) => Promise<BenchRow[]>][] = [['engine', engineSuite], ...SUITES];
  for (const [name, suite] of suites) {
    if (only && !only.includes(name)) continue;
    console.log(`\nsuite ${name} ...`);
    rows.push(...(await suite(ctx)));
  }
  printRows(rows);
  const result: Result = { adapter, date: new Date().toISOString(), dawnFeatures: e.dawnFeatures, peakGflops: peak.gflops, rows };
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const file = join(dir, `${adapter}${quick ? '.quick' : ''}.json`);
  writeFileSync(`${file}.tmp`, JSON.stringify(result, null, 2));
  renameSync(`${file}.tmp`, file);
  console.log(`\nwrote ${file}`);
  const cmp = arg('compare');
  if (cmp) compare(result, cmp);
  await destroyEngine();
}

await main();
