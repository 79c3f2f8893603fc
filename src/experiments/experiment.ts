// Named grids of `train` runs (the paper's comparisons on our synthetic benchmark), run one after
// the other (or split across machines with a shard), and aggregated into docs/results.md. Two
// regimes: 'small' (the first grids: a 24-image pool from random initialisation) and 'paper'
// (PAPER_BASE: a pool the budget labels sparsely, a pretrained backbone, long stages), with the
// fully supervised reference and the perfect-localisation upper bound in the paper regime.
// Each run keeps its run directory under experiments/<grid>/<run>; finished runs are not redone and
// an interrupted one resumes. The per-run metrics the report is built from are copied to
// docs/results-data/<grid>/<run>.json so the report can be regenerated without the run folders.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG, type RunConfig } from '../al/config.js';
import { writeFileAtomic } from '../data/atomic-write.js';
import type { RoundMetrics } from '../run/report.js';
import { runActiveLearning, type LoopEvent } from '../run/rounds.js';
import type { Acquisition } from '../al/acquisition.js';
import { DEFAULT_PRETRAIN, pretrain, type PretrainConfig } from './pretrain.js';
import { runSupervised } from './supervised.js';
import { RunDirectory } from '../run/run-directory.js';
import type { StageName } from '../al/stage-labels.js';
import { readStageLog } from '../run/stage-log.js';
import { checkRunData, openRunDataset, openRunPool } from '../run/run-data.js';
import { BY_BUDGET, BY_LABELLING, BY_METHOD, LABELLING_BY_ACQUISITION, type FigureLayout } from './figure-layout.js';

export interface ExperimentRun {
  grid: string;
  /** Method name (what a table row or plot line stands for). */
  method: string;
  seed: number;
  overrides: Partial<RunConfig>;
  /** 'supervised': the fully supervised reference (supervised.ts) instead of an AL run. */
  kind?: 'al' | 'supervised';
}

/** The two regimes the report sets side by side. */
export type Regime = 'small' | 'paper';

export interface Grid {
  title: string;
  /** 'small': the small pool from random initialisation (EXPERIMENT_BASE); 'paper': PAPER_BASE. */
  regime: Regime;
  runs: () => ExperimentRun[];
  /**
   * Its figure in docs/results.md: panels and lines (figure-layout.ts); absent: one panel, a line
   * per method; null: no figure (a grid whose result is drawn in the others').
   */
  figure?: FigureLayout | null;
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

/**
 * The paper's regime on the synthetic benchmark: a pool large enough that the whole 5-round budget
 * labels at most ~10% of its regions (240 images x ~32 SEEDS regions = ~7,700 regions; 5 x 120
 * clicks label ~600 regions with dominant answers, 7.8%, and ~330 with multi-class answers, 4.3%),
 * 40 validation images, a pretrained backbone (`pretrain`, the ImageNet stand-in, made or reused
 * by the grid) and stages long enough for the loss to flatten (curves in each record).
 */
export const PAPER_BASE: Partial<RunConfig> = {
  root: 'data/synthetic-paper',
  synthetic: { train: 240, val: 40, height: 128, width: 256 },
  rounds: 5,
  budget: 120,
  // Measured on a run at 300 + 300 (docs/performance.md): stage 2's loss had flattened by 300, stage
  // 1's was still falling (means over iterations 1-100, 101-200, 201-300 of round 3: 49, 41, 33).
  iterations: 500,
  stage2Iterations: 300,
  valLimit: 0,
  visualise: 2,
};

/** Iterations of each stage in paper-long: three times paper-fig4's stage 1. */
export const LONG_ITERATIONS = 1500;

/** The supervised reference's length: one stage on every label, longer than paper-fig4's stages (not paper-long's). */
export const SUPERVISED_ITERATIONS = 1000;

const SEEDS = [0, 1, 2];
const ACQS: Acquisition[] = ['random', 'bvsb', 'classbal', 'pixbal'];

const fig4Runs = (grid: string) =>
  (['multi', 'dominant'] as const).flatMap((labelling) =>
    ACQS.flatMap((acquisition) => SEEDS.map((seed) => ({ grid, method: `${labelling === 'multi' ? 'Mul' : 'Dom'}+${acquisition}`, seed, overrides: { labelling, acquisition } }))),
  );

const seedMajor = (runs: ExperimentRun[]) => runs.map((r, k) => [r, k] as const).sort((a, b) => a[0].seed - b[0].seed || a[1] - b[1]).map(([r]) => r);

const TABLE2_ROWS: [string, NonNullable<Partial<RunConfig>['ablation']>][] = [
  ['(a) MP+PP+loc+exp', { mp: true, pp: true, localise: true, expand: true }],
  ['(b) MP+PP+loc', { mp: true, pp: true, localise: true, expand: false }],
  ['(c) MP+PP', { mp: true, pp: true, localise: false, expand: false }],
  ['(d) MP', { mp: true, pp: false, localise: false, expand: false }],
  ['(e) PP', { mp: false, pp: true, localise: false, expand: false }],
];
const table2Runs = (grid: string) => TABLE2_ROWS.flatMap(([method, ablation]) => SEEDS.map((seed) => ({ grid, method, seed, overrides: { ablation } })));

export const GRIDS: Record<string, Grid> = {
  fig4: {
    regime: 'small',
    title: 'Multi-class vs dominant labelling x acquisition function (paper Fig. 4)',
    runs: () => fig4Runs('fig4'),
    figure: LABELLING_BY_ACQUISITION,
  },
  table2: {
    regime: 'small',
    title: 'Contribution of each component (paper Table 2), multi-class labels, PixBal',
    runs: () => table2Runs('table2'),
    figure: { panel: { ...BY_METHOD, title: 'setting' }, series: BY_LABELLING },
  },
  budget: {
    regime: 'small',
    title: 'Budget per round at two sizes (multi-class vs dominant, PixBal)',
    figure: { panel: BY_BUDGET, series: BY_LABELLING },
    runs: () =>
      [40, 160].flatMap((budget) =>
        (['multi', 'dominant'] as const).flatMap((labelling) => SEEDS.map((seed) => ({ grid: 'budget', method: `${labelling === 'multi' ? 'Mul' : 'Dom'} ${budget}/round`, seed, overrides: { labelling, budget } }))),
      ),
  },
  scale: {
    regime: 'small',
    title: "Fig. 4's main comparison at the default train's length (120 clicks/round, 100 + 100 iterations)",
    figure: LABELLING_BY_ACQUISITION,
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
  'paper-fig4': {
    regime: 'paper',
    title: "Fig. 4 in the paper's regime (240-image pool, pretrained backbone, 500 + 300 iterations a round)",
    // Seed-major, so a grid stopped early still holds every method for the seeds it finished.
    runs: () => seedMajor(fig4Runs('paper-fig4')),
    figure: LABELLING_BY_ACQUISITION,
  },
  'paper-table2': {
    regime: 'paper',
    title: "Table 2 in the paper's regime, multi-class labels, PixBal",
    runs: () => seedMajor(table2Runs('paper-table2')),
    figure: { panel: { ...BY_METHOD, title: 'setting' }, series: BY_LABELLING },
  },
  'paper-long': {
    regime: 'paper',
    title: "Fig. 4's PixBal comparison at three times the length (1,500 + 1,500 iterations a round)",
    figure: LABELLING_BY_ACQUISITION,
    // The next question after paper-fig4 (docs/results-notes.md): its stages had not converged at
    // 500 + 300, and a one-round probe at 1,500 + 1,500 gained 3-6 points in both stages.
    runs: () =>
      seedMajor(
        (['multi', 'dominant'] as const).flatMap((labelling) =>
          SEEDS.map((seed) => ({
            grid: 'paper-long',
            method: `${labelling === 'multi' ? 'Mul' : 'Dom'}+pixbal long`,
            seed,
            overrides: { labelling, acquisition: 'pixbal' as const, iterations: LONG_ITERATIONS, stage2Iterations: LONG_ITERATIONS },
          })),
        ),
      ),
  },
  supervised: {
    regime: 'paper',
    title: `Fully supervised reference: every pixel label of the 240 training images, ${SUPERVISED_ITERATIONS} iterations`,
    runs: () => SEEDS.map((seed) => ({ grid: 'supervised', method: 'Supervised', seed, kind: 'supervised' as const, overrides: { stage2Iterations: SUPERVISED_ITERATIONS } })),
    // No clicks: its result is the dashed reference line of every paper-regime figure.
    figure: null,
  },
  'upper-bound': {
    regime: 'paper',
    title: 'Upper bound: stage 2 on the ground truth inside labelled regions (perfect localisation), PixBal',
    figure: LABELLING_BY_ACQUISITION,
    runs: () =>
      seedMajor((['multi', 'dominant'] as const).flatMap((labelling) =>
        SEEDS.map((seed) => ({ grid: 'upper-bound', method: `${labelling === 'multi' ? 'Mul' : 'Dom'}+pixbal bound`, seed, overrides: { labelling, acquisition: 'pixbal' as const, pseudo: 'oracle' as const } })),
      )),
  },
};

export function runName(r: Pick<ExperimentRun, 'method' | 'seed'>): string {
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
  /** Wall time of the process that finished the run (only its own part when `resumed`). */
  wallSeconds: number;
  /**
   * The run continued a run directory an earlier process had started (an interrupted grid): its
   * cost is then its rounds' own seconds (runSeconds), not wallSeconds. Absent in older records.
   */
  resumed?: boolean;
  /**
   * "grid/run" of the record this one copies: a run with the same configuration in another grid
   * (the engine is deterministic, so it is this run's result); nothing was run for this one.
   */
  reusedFrom?: string;
  rounds: RoundMetrics[];
  /** Loss curve of every stage of every round ([iteration, loss] pairs; absent in older records). */
  curves?: { round: number; stage: StageName; losses: [number, number][] }[];
}

/**
 * Whether a record's run was resumed: its own flag, or for records written before the flag, a wall
 * time short of its rounds' own seconds (which a run that ran in one process always exceeds).
 */
export function wasResumed(r: ExperimentRecord): boolean {
  return r.resumed ?? r.wallSeconds < 0.95 * roundsSeconds(r);
}

function roundsSeconds(r: ExperimentRecord): number {
  return r.rounds.reduce((s, m) => s + m.seconds, 0);
}

/**
 * A run's cost in seconds: its wall time, or when it was resumed, the sum of its rounds' own
 * seconds over every process that ran it (a round interrupted part-way counts only the part that
 * finished it, so this is a lower bound).
 */
export function runSeconds(r: ExperimentRecord): number {
  return wasResumed(r) ? roundsSeconds(r) : r.wallSeconds;
}

export function dataDir(docs: string, grid: string): string {
  return join(docs, 'results-data', grid);
}

/** Where a grid runs and records; shared by the in-process runner and the process pool (jobs.ts). */
export interface GridPlace {
  root: string;
  experimentsDir: string;
  docsDir: string;
  /** Applied to every run after the grid's own settings (a smoke run of the grid machinery at toy size). */
  overrides?: Partial<RunConfig>;
  /** Pretraining settings for the paper regime's backbone, over DEFAULT_PRETRAIN (smoke runs). */
  pretrain?: Partial<PretrainConfig>;
}

export function gridOf(grid: string): Grid {
  const g = GRIDS[grid];
  if (!g) throw new Error(`unknown experiment "${grid}" (known: ${Object.keys(GRIDS).join(', ')})`);
  return g;
}

export function recordFile(docsDir: string, run: ExperimentRun): string {
  return join(dataDir(docsDir, run.grid), `${runName(run)}.json`);
}

/** The grid's runs of this shard (index = i mod n) that have no record yet, in the grid's order. */
export function pendingRuns(grid: string, docsDir: string, shard: [number, number] = [0, 1]): ExperimentRun[] {
  const [i, n] = shard;
  return gridOf(grid).runs().filter((run, k) => k % n === i && !existsSync(recordFile(docsDir, run)));
}

/** A run's settings as its grid declares them: the defaults, the grid's regime, the run's own. */
export function gridSettings(grid: string, run: ExperimentRun, root = DEFAULT_CONFIG.root): RunConfig {
  const base = gridOf(grid).regime === 'paper' ? PAPER_BASE : EXPERIMENT_BASE;
  return { ...DEFAULT_CONFIG, root, ...base, seed: run.seed, ...run.overrides };
}

/** A run's whole configuration: its grid's settings, then the caller's. */
export function runConfig(grid: string, run: ExperimentRun, place: GridPlace): RunConfig {
  return { ...gridSettings(grid, run, place.root), ...place.overrides, out: join(place.experimentsDir, grid, runName(run)) };
}

/**
 * What the runs share, made once before they start side by side: each dataset (generated when
 * synthetic, checked), its superpixels, and in the paper regime the pretrained backbone. Runs
 * started in parallel would otherwise each make them at once.
 */
export async function prepareRuns(grid: string, runs: readonly ExperimentRun[], place: GridPlace, onPhase: (text: string) => void = () => undefined): Promise<void> {
  const done = new Set<string>();
  for (const run of runs) {
    const cfg = runConfig(grid, run, place);
    const key = JSON.stringify([cfg.dataset, cfg.root, cfg.synthetic, cfg.superpixels]);
    if (!done.has(key)) {
      done.add(key);
      onPhase(`dataset ${cfg.root} and its ${cfg.superpixels.algorithm} superpixels`);
      await checkRunData(cfg);
      await openRunPool(cfg, openRunDataset(cfg, 'train'), () => undefined);
    }
    if (gridOf(grid).regime === 'paper' && !cfg.pretrained && !done.has(`pretrain ${cfg.preset}`)) {
      done.add(`pretrain ${cfg.preset}`);
      onPhase(`pretrained ${cfg.preset} backbone`);
      await pretrain({ ...DEFAULT_PRETRAIN, ...place.pretrain, preset: cfg.preset }, undefined, { onPhase });
    }
  }
}

/** Runs the grid's runs of this shard that have no record yet, one after the other; returns how many ran. */
export async function runGrid(
  grid: string,
  options: GridPlace & {
    shard?: [number, number];
    /** Only the run of this name (`runName`): a worker of the process pool (jobs.ts). */
    only?: string;
    adapter: string;
    onEvent?: (run: ExperimentRun, e: LoopEvent) => void;
    /** Called as each run starts: its place among the runs this call has to do (finished ones excluded). */
    onRun?: (run: ExperimentRun, index: number, todo: number) => void;
  },
): Promise<number> {
  const g = gridOf(grid);
  const recordOf = (run: ExperimentRun) => recordFile(options.docsDir, run);
  const todo = pendingRuns(grid, options.docsDir, options.shard).filter((run) => options.only === undefined || runName(run) === options.only);
  let ran = 0;
  for (const [k, run] of todo.entries()) {
    const record = recordOf(run);
    // Recorded since this call started (by another process, or reused by hand): not redone.
    if (existsSync(record)) continue;
    options.onRun?.(run, k, todo.length);
    const cfg = runConfig(grid, run, options);
    if (g.regime === 'paper' && !cfg.pretrained) {
      // The ImageNet stand-in for this preset: made once (a few minutes), then reused by every run.
      const p = await pretrain({ ...DEFAULT_PRETRAIN, ...options.pretrain, preset: cfg.preset }, undefined, { onPhase: (text) => options.onEvent?.(run, { kind: 'phase', round: 0, phase: 'pretrain', detail: text }) });
      cfg.pretrained = p.file;
    }
    // The same configuration already run in another grid (table 2's full method is fig4's
    // Mul+PixBal): the engine is deterministic, so its record is this run's result.
    const twin = twinOf(options.docsDir, cfg);
    if (twin) {
      const from = `${twin.grid}/${runName(twin)}`;
      options.onEvent?.(run, { kind: 'phase', round: 0, phase: 'reused', detail: from });
      const rec: ExperimentRecord = { ...twin, grid, method: run.method, seed: run.seed, config: cfg, wallSeconds: 0, resumed: false, reusedFrom: from };
      mkdirSync(dataDir(options.docsDir, grid), { recursive: true });
      writeFileAtomic(record, JSON.stringify(rec, null, 2));
      ran++;
      continue;
    }
    const t0 = performance.now();
    const resume = existsSync(new RunDirectory(cfg.out).config);
    const onEvent = (e: LoopEvent) => options.onEvent?.(run, e);
    const result = run.kind === 'supervised' ? await runSupervised(cfg, { resume, onEvent }) : await runActiveLearning(cfg, { resume, onEvent });
    const rec: ExperimentRecord = { grid, method: run.method, seed: run.seed, config: cfg, adapter: options.adapter, commit: gitCommit(), wallSeconds: (performance.now() - t0) / 1000, resumed: resume, rounds: result.rounds, curves: lossCurves(cfg.out) };
    mkdirSync(dataDir(options.docsDir, grid), { recursive: true });
    writeFileAtomic(record, JSON.stringify(rec, null, 2));
    ran++;
  }
  return ran;
}

/**
 * A configuration as a string with sorted keys and without its output folder; fields a record
 * from older code lacks take their defaults (as when such a run resumes).
 */
function configKey(c: RunConfig): string {
  const sorted = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v;
  const { out: _out, ...rest } = { ...DEFAULT_CONFIG, ...c };
  return JSON.stringify(sorted(rest));
}

/** A record, in any grid, of a run (not itself reused) with exactly `cfg` but its output folder. */
function twinOf(docsDir: string, cfg: RunConfig): ExperimentRecord | undefined {
  const key = configKey(cfg);
  for (const g of Object.keys(GRIDS)) {
    const hit = readRecords(docsDir, g).find((r) => !r.reusedFrom && r.seed === cfg.seed && configKey(r.config) === key);
    if (hit) return hit;
  }
  return undefined;
}

/** The loss curves a run directory's training/ logs hold, by round then stage. */
function lossCurves(dir: string): NonNullable<ExperimentRecord['curves']> {
  return new RunDirectory(dir).stageLogs().map(({ round, stage, file }) => ({ round, stage, losses: readStageLog(file)?.losses ?? [] }));
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
