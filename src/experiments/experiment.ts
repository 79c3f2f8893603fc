// Named grids of `train` runs (the paper's comparisons on our synthetic benchmark), run one after
// the other by any number of workers over one record directory (each run under a claim, claims.ts;
// a shard orders a worker's runs), and aggregated into docs/results.md. Two
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
import { StoppedError } from '../run/trainer.js';
import { DEFAULT_CLAIM_TIMES, heartbeatAge, HeldClaim, pollInterval, thisWorker, type Claim, type ClaimTimes, type Worker } from './claims.js';
import { nextRun, workerOrder, type QueuedRun } from './run-queue.js';
import { BY_ACQUISITION, BY_BUDGET, BY_LABELLING, BY_METHOD, LABELLING_BY_ACQUISITION, type FigureLayout } from './figure-layout.js';

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

/** Fig. 13's acquisition functions (the paper's six, in its order), then the toolkits' entropy and BALD. */
const FIG13_ACQUISITIONS: Acquisition[] = ['random', 'knn', 'margin', 'bvsb', 'classbal', 'pixbal', 'entropy', 'bald'];

/** Fig. 12(a)'s names of the stage-1 losses. */
const STAGE1_LOSS_NAMES: Record<string, string> = { 'mp-pp': 'MP+PP (ours)', infimum: 'Infimum', rc: 'RC' };

/** 'SEEDS 32px': a superpixel setting as Fig. 8 names it. */
function superpixelName(s: RunConfig['superpixels']): string {
  const size = s.algorithm === 'grid' ? s.params?.cell : s.params?.regionSize;
  return `${s.algorithm.toUpperCase()} ${size ?? 32}px`;
}

/** Fig. 8's superpixel settings: the algorithm (a), and the region side with SEEDS (b). */
const FIG8_SETTINGS: [string, RunConfig['superpixels']][] = [
  ['SEEDS 32px', { algorithm: 'seeds' }],
  ['SLIC 32px', { algorithm: 'slic' }],
  ['SEEDS 16px', { algorithm: 'seeds', params: { regionSize: 16 } }],
  ['SEEDS 64px', { algorithm: 'seeds', params: { regionSize: 64 } }],
];

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
  'paper-fig13': {
    regime: 'paper',
    title: "Fig. 13 in the paper's regime: multi-class labels with the paper's six acquisition functions and two of the toolkits' (entropy, BALD)",
    // Random, BvSB, ClassBal and PixBal with multi-class labels are paper-fig4's runs: reused.
    runs: () => seedMajor(FIG13_ACQUISITIONS.flatMap((acquisition) => SEEDS.map((seed) => ({ grid: 'paper-fig13', method: `Mul+${acquisition}`, seed, overrides: { labelling: 'multi' as const, acquisition } })))),
    // As the paper's Fig. 13: one panel, a line per acquisition function.
    figure: { series: BY_ACQUISITION },
  },
  'paper-fig12a': {
    regime: 'paper',
    title: "Fig. 12(a) in the paper's regime: the stage-1 losses (MP+PP) against the Infimum and RC partial-label losses, multi-class labels, PixBal, stage 1",
    // MP+PP is paper-fig4's Mul+PixBal: reused.
    runs: () =>
      seedMajor(
        (['mp-pp', 'infimum', 'rc'] as const).flatMap((stage1Loss) =>
          SEEDS.map((seed) => ({ grid: 'paper-fig12a', method: `Mul+pixbal ${stage1Loss}`, seed, overrides: { labelling: 'multi' as const, acquisition: 'pixbal' as const, stage1Loss } })),
        ),
      ),
    figure: { series: { title: 'stage-1 loss', of: ({ config }) => STAGE1_LOSS_NAMES[config.stage1Loss ?? 'mp-pp'] }, model: 'stage1' },
  },
  'paper-fig8': {
    regime: 'paper',
    figure: { panel: { title: 'superpixels', of: ({ config }) => superpixelName(config.superpixels) }, series: BY_LABELLING },
    title: "Fig. 8 in the paper's regime: superpixels (a) SEEDS vs SLIC, (b) 16, 32 and 64 px, multi-class vs dominant labels, PixBal",
    // SEEDS at 32 px is paper-fig4's Mul/Dom+PixBal: those records are reused (twinOf).
    runs: () =>
      seedMajor(
        FIG8_SETTINGS.flatMap(([setting, superpixels]) =>
          (['multi', 'dominant'] as const).flatMap((labelling) =>
            SEEDS.map((seed) => ({ grid: 'paper-fig8', method: `${labelling === 'multi' ? 'Mul' : 'Dom'}+pixbal ${setting}`, seed, overrides: { labelling, acquisition: 'pixbal' as const, superpixels } })),
          ),
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

/** The run's claim file beside its record (claims.ts): which worker does it, while it runs. */
export function claimFile(docsDir: string, run: ExperimentRun): string {
  return join(dataDir(docsDir, run.grid), `${runName(run)}.claim`);
}

/** Which of a grid's runs a worker considers, and in which order (run-queue.ts). */
export interface WorkerRuns {
  /** i/n: the runs with index = i mod n come first (or are the only ones, without `help`). */
  shard?: [number, number];
  /** After its shard's runs, take any other run of the grid no worker holds (the command line's default with --shard). */
  help?: boolean;
  /** Only the runs of these names (`runName`). */
  only?: readonly string[];
}

/** The runs a worker considers, in the order it takes them, each with its record and claim files. */
export function workerQueue(grid: string, docsDir: string, w: WorkerRuns = {}): QueuedRun<ExperimentRun>[] {
  const runs = gridOf(grid).runs().filter((run) => w.only === undefined || w.only.includes(runName(run)));
  return workerOrder(runs, w.shard ?? [0, 1], w.help ?? false).map((run) => ({ item: run, name: runName(run), record: recordFile(docsDir, run), claim: claimFile(docsDir, run) }));
}

/** The runs a worker considers that have no record yet, in the order it takes them. */
export function pendingRuns(grid: string, docsDir: string, shard: [number, number] = [0, 1], w: Omit<WorkerRuns, 'shard'> = {}): ExperimentRun[] {
  return workerQueue(grid, docsDir, { ...w, shard })
    .filter((q) => !existsSync(q.record))
    .map((q) => q.item);
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

/** What a worker's claims did, for the command to print. */
export type ClaimEvent =
  /** The run's claim had no heartbeat for longer than the timeout: this worker took the run over. */
  | { kind: 'took-over'; run: ExperimentRun; from: Claim; ageMs: number }
  /** A live worker holds the run; this one leaves it (it does not wait). */
  | { kind: 'held'; run: ExperimentRun; by: Claim }
  /** Nothing left to take but runs live workers hold: waiting for their records or their timeouts. */
  | { kind: 'waiting'; held: { run: ExperimentRun; by: Claim }[] }
  /** Another worker took the run over while this one ran it (this one was frozen past the timeout): stopped, no record written. */
  | { kind: 'lost'; run: ExperimentRun; to: Claim | null };

/** A worker over a shared record directory: its runs, its claims' times, and whether it waits for others. */
export interface WorkerOptions extends WorkerRuns {
  claims?: ClaimTimes;
  /** When only runs other workers hold are left: wait for them (taking over any that is abandoned), or leave them (false). */
  wait?: boolean;
  /** Who this worker is in its claims (default: this host and process, and its scheduler job). */
  worker?: Worker;
  /** Polled between iterations: stop the run at its next checkpoint and release its claim. */
  stopRequested?: () => boolean;
  onClaim?: (e: ClaimEvent) => void;
}

/**
 * Runs the grid's runs this worker considers (workerQueue) that have no record yet, one after the
 * other, each under a claim so that any number of workers over one record directory do each run
 * once; returns how many this call recorded.
 */
export async function runGrid(
  grid: string,
  options: GridPlace &
    WorkerOptions & {
      adapter: string;
      onEvent?: (run: ExperimentRun, e: LoopEvent) => void;
      /** Called as each run starts: how many this call started before it, of the runs that had no record when it began. */
      onRun?: (run: ExperimentRun, index: number, todo: number) => void;
      /** Called when this worker has written a run's record. */
      onRecorded?: (run: ExperimentRun, file: string) => void;
    },
): Promise<number> {
  const times = options.claims ?? DEFAULT_CLAIM_TIMES;
  const worker = options.worker ?? thisWorker();
  const workerStart = Date.now();
  const queue = workerQueue(grid, options.docsDir, options);
  const todo = queue.filter((q) => !existsSync(q.record)).length;
  // Runs this worker started: not taken again by it (a failure is not retried in the same process).
  const tried = new Set<string>();
  let ran = 0;
  // A stop request that came outside training (no checkpoint to stop at) ends the loop between runs.
  while (!options.stopRequested?.()) {
    const next = nextRun(queue, { times, workerStart, skip: tried });
    if (next.kind === 'done') break;
    if (next.kind === 'wait') {
      const held = next.held.map((h) => ({ run: h.run.item, by: h.claim }));
      if (options.wait === false) {
        for (const h of held) options.onClaim?.({ kind: 'held', ...h });
        break;
      }
      options.onClaim?.({ kind: 'waiting', held });
      await new Promise((r) => setTimeout(r, pollInterval(times)));
      continue;
    }
    const { run: q, seen } = next;
    const claim = HeldClaim.acquire(q.claim, seen, worker, times);
    if (!claim) continue; // another worker was quicker
    // Recorded between the look and the claim: a holder writes the record before it releases the claim.
    if (existsSync(q.record)) {
      claim.release();
      continue;
    }
    tried.add(q.name);
    const run = q.item;
    if (seen && !seen.claim.failed) options.onClaim?.({ kind: 'took-over', run, from: seen.claim, ageMs: heartbeatAge(seen.claim) });
    options.onRun?.(run, tried.size - 1, todo);
    let rec: ExperimentRecord;
    try {
      rec = await recordRun(grid, run, options, claim);
    } catch (e) {
      if (claim.lost) {
        options.onClaim?.({ kind: 'lost', run, to: claim.holder });
        continue;
      }
      if (e instanceof StoppedError) claim.release();
      else claim.fail(e instanceof Error ? e.message : String(e));
      throw e;
    }
    if (!claim.stillMine()) {
      options.onClaim?.({ kind: 'lost', run, to: claim.holder });
      continue;
    }
    mkdirSync(dataDir(options.docsDir, grid), { recursive: true });
    writeFileAtomic(q.record, JSON.stringify(rec, null, 2));
    claim.release();
    ran++;
    options.onRecorded?.(run, q.record);
  }
  return ran;
}

/** One run, done (or resumed, or copied from its twin in another grid): its record, not yet written. */
async function recordRun(
  grid: string,
  run: ExperimentRun,
  options: GridPlace & { adapter: string; stopRequested?: () => boolean; onEvent?: (run: ExperimentRun, e: LoopEvent) => void },
  claim: HeldClaim,
): Promise<ExperimentRecord> {
  const onEvent = (e: LoopEvent) => {
    if (e.kind === 'phase') claim.progress(e.round, e.phase);
    options.onEvent?.(run, e);
  };
  const cfg = runConfig(grid, run, options);
  if (gridOf(grid).regime === 'paper' && !cfg.pretrained) {
    // The ImageNet stand-in for this preset: made once (a few minutes), then reused by every run.
    const p = await pretrain({ ...DEFAULT_PRETRAIN, ...options.pretrain, preset: cfg.preset }, undefined, { onPhase: (text) => onEvent({ kind: 'phase', round: 0, phase: 'pretrain', detail: text }) });
    cfg.pretrained = p.file;
  }
  // The same configuration already run in another grid (table 2's full method is fig4's
  // Mul+PixBal): the engine is deterministic, so its record is this run's result.
  const twin = twinOf(options.docsDir, cfg);
  if (twin) {
    const from = `${twin.grid}/${runName(twin)}`;
    onEvent({ kind: 'phase', round: 0, phase: 'reused', detail: from });
    return { ...twin, grid, method: run.method, seed: run.seed, config: cfg, wallSeconds: 0, resumed: false, reusedFrom: from };
  }
  const t0 = performance.now();
  const resume = existsSync(new RunDirectory(cfg.out).config);
  // A worker that lost its claim stops at its next checkpoint, as on a stop request.
  const stopRequested = () => claim.lost || (options.stopRequested?.() ?? false);
  const result = run.kind === 'supervised' ? await runSupervised(cfg, { resume, onEvent, stopRequested }) : await runActiveLearning(cfg, { resume, onEvent, stopRequested });
  return { grid, method: run.method, seed: run.seed, config: cfg, adapter: options.adapter, commit: gitCommit(), wallSeconds: (performance.now() - t0) / 1000, resumed: resume, rounds: result.rounds, curves: lossCurves(cfg.out) };
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
export function twinOf(docsDir: string, cfg: RunConfig): ExperimentRecord | undefined {
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
