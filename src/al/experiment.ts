// Named grids of `train` runs (the paper's comparisons on our synthetic benchmark), run one after
// the other (or split across machines with a shard), and aggregated into docs/results.md.
// Each run keeps its run directory under experiments/<grid>/<run>; finished runs are not redone and
// an interrupted one resumes. The per-run metrics the report is built from are copied to
// docs/results-data/<grid>/<run>.json so the report can be regenerated without the run folders.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG, type RunConfig } from './config.js';
import { writeFileAtomic } from './data/atomic-write.js';
import type { RoundMetrics } from './report.js';
import { runActiveLearning, type LoopEvent } from './rounds.js';
import type { Acquisition } from './acquisition.js';

export interface ExperimentRun {
  grid: string;
  /** Method name (what a table row or plot line stands for). */
  method: string;
  seed: number;
  overrides: Partial<RunConfig>;
}

/** Settings every experiment run shares: sized so grid "fig4" (24 runs) fits in 2 hours on lavapipe. */
export const EXPERIMENT_BASE: Partial<RunConfig> = {
  rounds: 5,
  budget: 80,
  iterations: 60,
  stage2Iterations: 40,
  valLimit: 0,
  visualise: 2,
};

const SEEDS = [0, 1, 2];
const ACQS: Acquisition[] = ['random', 'bvsb', 'classbal', 'pixbal'];

export const GRIDS: Record<string, { title: string; runs: () => ExperimentRun[] }> = {
  fig4: {
    title: 'Multi-class vs dominant labelling x acquisition function (paper Fig. 4)',
    runs: () =>
      (['multi', 'dominant'] as const).flatMap((labelling) =>
        ACQS.flatMap((acquisition) => SEEDS.map((seed) => ({ grid: 'fig4', method: `${labelling === 'multi' ? 'Mul' : 'Dom'}+${acquisition}`, seed, overrides: { labelling, acquisition } }))),
      ),
  },
  table2: {
    title: 'Contribution of each component (paper Table 2), multi-class labels, PixBal',
    runs: () => {
      const rows: [string, Partial<RunConfig>['ablation']][] = [
        ['(a) MP+PP+loc+exp', { mp: true, pp: true, localise: true, expand: true }],
        ['(b) MP+PP+loc', { mp: true, pp: true, localise: true, expand: false }],
        ['(c) MP+PP', { mp: true, pp: true, localise: false, expand: false }],
        ['(d) MP', { mp: true, pp: false, localise: false, expand: false }],
        ['(e) PP', { mp: false, pp: true, localise: false, expand: false }],
      ];
      return rows.flatMap(([method, ablation]) => SEEDS.map((seed) => ({ grid: 'table2', method, seed, overrides: { ablation } })));
    },
  },
  budget: {
    title: 'Budget per round at two sizes (multi-class vs dominant, PixBal)',
    runs: () =>
      [40, 160].flatMap((budget) =>
        (['multi', 'dominant'] as const).flatMap((labelling) => SEEDS.map((seed) => ({ grid: 'budget', method: `${labelling === 'multi' ? 'Mul' : 'Dom'} ${budget}/round`, seed, overrides: { labelling, budget } }))),
      ),
  },
  scale: {
    title: "Fig. 4's main comparison at the default train's length (120 clicks/round, 100 + 100 iterations)",
    // Seed-major, so a grid stopped early still holds every method for the seeds it finished.
    runs: () =>
      SEEDS.flatMap((seed) =>
        (
          [
            ['Mul+pixbal', 'multi', 'pixbal'],
            ['Dom+pixbal', 'dominant', 'pixbal'],
            ['Mul+random', 'multi', 'random'],
          ] as const
        ).map(([method, labelling, acquisition]) => ({
          grid: 'scale',
          method,
          seed,
          overrides: { labelling, acquisition, budget: 120, iterations: 100, stage2Iterations: 100 },
        })),
      ),
  },
};

export function runName(r: ExperimentRun): string {
  return `${r.method.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}-seed${r.seed}`;
}

export interface ExperimentRecord {
  grid: string;
  method: string;
  seed: number;
  config: RunConfig;
  adapter: string;
  /** The code's git commit when the run was made (absent in records of older versions). */
  commit?: string;
  wallSeconds: number;
  rounds: RoundMetrics[];
}

export function dataDir(docs: string, grid: string): string {
  return join(docs, 'results-data', grid);
}

/** Runs the grid's runs of this shard that have no record yet; returns how many ran. */
export async function runGrid(
  grid: string,
  options: {
    shard?: [number, number];
    root: string;
    experimentsDir: string;
    docsDir: string;
    adapter: string;
    /** Applied to every run after the grid's own settings (a smoke run of the grid machinery at toy size). */
    overrides?: Partial<RunConfig>;
    onEvent?: (run: ExperimentRun, e: LoopEvent) => void;
    /** Called as each run starts: its place among the runs this call has to do (finished ones excluded). */
    onRun?: (run: ExperimentRun, index: number, todo: number) => void;
  },
): Promise<number> {
  const g = GRIDS[grid];
  if (!g) throw new Error(`unknown experiment "${grid}" (known: ${Object.keys(GRIDS).join(', ')})`);
  const [i, n] = options.shard ?? [0, 1];
  const recordOf = (run: ExperimentRun) => join(dataDir(options.docsDir, grid), `${runName(run)}.json`);
  const todo = g.runs().filter((run, k) => k % n === i && !existsSync(recordOf(run)));
  let ran = 0;
  for (const [k, run] of todo.entries()) {
    const record = recordOf(run);
    options.onRun?.(run, k, todo.length);
    const cfg: RunConfig = { ...DEFAULT_CONFIG, ...EXPERIMENT_BASE, root: options.root, seed: run.seed, ...run.overrides, ...options.overrides, out: join(options.experimentsDir, grid, runName(run)) };
    const t0 = performance.now();
    const resume = existsSync(join(cfg.out, 'config.json'));
    const result = await runActiveLearning(cfg, { resume, onEvent: (e) => options.onEvent?.(run, e) });
    const rec: ExperimentRecord = { grid, method: run.method, seed: run.seed, config: cfg, adapter: options.adapter, commit: gitCommit(), wallSeconds: (performance.now() - t0) / 1000, rounds: result.rounds };
    mkdirSync(dataDir(options.docsDir, grid), { recursive: true });
    writeFileAtomic(record, JSON.stringify(rec, null, 2));
    ran++;
  }
  return ran;
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function readRecords(docsDir: string, grid: string): ExperimentRecord[] {
  const dir = dataDir(docsDir, grid);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => parseRecord(join(dir, f)));
}

/** A record file, checked enough that the report cannot fail on it later without naming it. */
function parseRecord(file: string): ExperimentRecord {
  let r: Partial<ExperimentRecord>;
  try {
    r = JSON.parse(readFileSync(file, 'utf8')) as Partial<ExperimentRecord>;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message}); delete it to rerun that run`);
  }
  const missing = (['grid', 'method', 'seed', 'config', 'rounds'] as const).filter((k) => r[k] === undefined);
  if (missing.length || !Array.isArray(r.rounds) || r.rounds.some((m) => typeof m?.stage1?.miou !== 'number')) {
    throw new Error(`${file}: not an experiment record (${missing.length ? `missing ${missing.join(', ')}` : 'rounds without stage-1 metrics'}); delete it to rerun that run`);
  }
  return r as ExperimentRecord;
}
