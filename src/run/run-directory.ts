// A run's directory: where each of its files lives, its progress file, JSON read with the file
// named in errors and written atomically, and opening it for a new or a resumed run (a resumed
// run must have the settings it was started with). What it holds:
//   config.json, progress.json               what the run is and how far it got
//   labels/round-<r>.json                     the regions labelled in round r, answers and clicks
//   queries/, answers/                        with a human oracle: what to ask, what was answered (human/queries.ts)
//   checkpoints/round-<r>-stage<k>.safetensors
//   pseudo/round-<r>/<sample id>.png          pseudo-labels (class ids, 255 = ignore)
//   training/round-<r>-stage<k>.json          loss curve, batches and crops without a labelled pixel
//   metrics.json, metrics.csv, miou-vs-clicks.png, .svg, .vl.json (Vega-Lite spec) and .csv (its data)
//   vis/                                      colour PNGs of images, ground truth, predictions, pseudo-labels
// Every file is written atomically, so a killed run resumed with the same directory continues from
// the last completed phase or checkpoint and never loses or duplicates a labelled region.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_CONFIG, type RunConfig } from '../al/config.js';
import { writeFileAtomic } from '../data/atomic-write.js';
import type { StageName } from '../al/stage-labels.js';
import type { IoUReport } from '../al/metrics.js';
import { checkRunData, type PhaseEvent } from './run-data.js';

/** Where each file of the run in `dir` lives. */
export class RunDirectory {
  constructor(readonly dir: string) {}
  get config(): string {
    return join(this.dir, 'config.json');
  }
  get progress(): string {
    return join(this.dir, 'progress.json');
  }
  /** The regions labelled in a round: once it exists, the round's selection is done. */
  labels(round: number): string {
    return join(this.dir, 'labels', `round-${round}.json`);
  }
  checkpoint(round: number, stage: StageName): string {
    return join(this.dir, 'checkpoints', `round-${round}-${stage}.safetensors`);
  }
  /** A stage's training log (StageLog, see stage-log.ts). */
  stageLog(round: number, stage: StageName): string {
    return join(this.dir, 'training', `round-${round}-${stage}.json`);
  }
  /** The stage logs the run holds, by round then stage. */
  stageLogs(): { round: number; stage: StageName; file: string }[] {
    const dir = dirname(this.stageLog(1, 'stage1'));
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .map((f) => /^round-(\d+)-(stage[12])\.json$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ round: Number(m[1]), stage: m[2] as StageName, file: join(dir, m[0]) }))
      .sort((a, b) => a.round - b.round || a.stage.localeCompare(b.stage));
  }
  pseudoLabels(round: number): string {
    return join(this.dir, 'pseudo', `round-${round}`);
  }
  /** Colour PNGs of a round (the images and ground truth are shared one folder up). */
  vis(round?: number): string {
    return round === undefined ? join(this.dir, 'vis') : join(this.dir, 'vis', `round-${round}`);
  }
}

/** Reads a JSON file of a run directory, naming the file in any error. */
export function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${file}: cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** Writes a JSON file atomically (indented by `indent` spaces, or on one line). */
export function writeJson(file: string, value: unknown, indent?: number): void {
  writeFileAtomic(file, JSON.stringify(value, null, indent));
}

/** What a round has done so far: its selection, its evaluations and pseudo-labels, its time. */
export interface RoundProgress {
  round: number;
  selected: boolean;
  stage1: IoUReport | null;
  pseudo: { coverage: number; accuracy: number } | null;
  stage2: IoUReport | null;
  seconds: number;
}

interface ProgressFile {
  version: 1;
  rounds: RoundProgress[];
}

/** progress.json: each round's completed phases, saved after each one. */
export class RunProgress {
  private readonly data: ProgressFile;
  constructor(private readonly file: string) {
    this.data = existsSync(file) ? readJson<ProgressFile>(file) : { version: 1, rounds: [] };
  }
  get rounds(): readonly RoundProgress[] {
    return this.data.rounds;
  }
  /** A round's entry, added (nothing done yet) when the run first reaches it. */
  round(round: number): RoundProgress {
    let rp = this.data.rounds.find((r) => r.round === round);
    if (!rp) {
      rp = { round, selected: false, stage1: null, pseudo: null, stage2: null, seconds: 0 };
      this.data.rounds.push(rp);
    }
    return rp;
  }
  save(): void {
    writeJson(this.file, this.data, 2);
  }
}

/**
 * Opens a run directory for a new or resumed run: refuses to overwrite a run unless resuming, names
 * each setting a resumed run changed, checks the data (before anything is written), then writes
 * config.json. Shared by the active-learning loop and the fully supervised reference.
 */
export async function openRunDirectory(cfg: RunConfig, resume: boolean | undefined, emit: (e: PhaseEvent) => void): Promise<RunDirectory> {
  const run = new RunDirectory(cfg.out);
  if (existsSync(run.config)) {
    if (!resume) throw new Error(`${run.dir} already holds a run: pass --resume to continue it, or choose another --out`);
    const differences = identityDifferences(readJson<RunConfig>(run.config), cfg);
    if (differences.length) {
      throw new Error(`${run.config}: the run there was started with other settings; resume it with the same options:\n  ${differences.join('\n  ')}`);
    }
  }
  // Bad data stops the run before anything is written or trained.
  emit({ kind: 'phase', round: 0, phase: 'data', detail: `${cfg.dataset} at ${cfg.root}` });
  await checkRunData(cfg, emit);
  mkdirSync(run.dir, { recursive: true });
  writeJson(run.config, cfg, 2);
  return run;
}

/** Settings that do not change what a run computes: a resumed run may give them other values. */
const NOT_IDENTITY = new Set<string>(['out', 'checkpointEvery', 'visualise']);

/** The command-line option of a config path, where it is not the path's last name in kebab case. */
const OPTION_OF: Record<string, string> = {
  dominant: 'dominant-mode',
  synthetic: 'synthetic-size',
  'weights.ce': 'lambda-ce',
  'weights.mp': 'lambda-mp',
  'weights.pp': 'lambda-pp',
  'superpixels.algorithm': 'superpixels',
};

function optionName(path: string): string {
  const named = OPTION_OF[path] ?? OPTION_OF[path.split('.')[0]];
  if (named) return `--${named}`;
  const last = path.split('.').pop()!;
  return `--${last.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * The settings that define what a run computes, as plain JSON values by path. A config saved by an
 * older version lacks newer fields: they take their defaults; a field that is missing and one that
 * is undefined are the same (JSON has no undefined).
 */
export function identity(c: Partial<RunConfig>): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify({ ...DEFAULT_CONFIG, ...c })) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const walk = (v: unknown, path: string) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && path !== 'synthetic') {
      for (const [k, child] of Object.entries(v)) walk(child, path ? `${path}.${k}` : k);
    } else if (!NOT_IDENTITY.has(path)) out[path] = v;
  };
  walk(plain, '');
  return out;
}

/** One line per setting that differs between a saved run and the options given now. */
export function identityDifferences(saved: Partial<RunConfig>, given: Partial<RunConfig>): string[] {
  const a = identity(saved);
  const b = identity(given);
  const show = (path: string, v: unknown) => (v === undefined ? 'not given' : path === 'synthetic' && v && typeof v === 'object' ? syntheticSize(v as RunConfig['synthetic']) : JSON.stringify(v));
  const paths = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return paths
    .filter((p) => JSON.stringify(a[p]) !== JSON.stringify(b[p]))
    .map((p) => `${optionName(p)}: ${show(p, a[p])} in the saved run, ${show(p, b[p])} now`);
}

function syntheticSize(s: RunConfig['synthetic']): string {
  return `${s.train}x${s.val}@${s.height}x${s.width}`;
}
