// What `alseg export` will read and write (export-run.ts writes it): the request checked against
// the run and the file system before anything is written: the run directory, its labels and the
// round, the format against the run's classes, the labelled regions against the superpixels, the
// pseudo-labels and the stage-2 checkpoint (what is missing of these is skipped, and said).
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_CONFIG, type RunConfig } from '../al/config.js';
import type { Dataset } from '../data/dataset.js';
import { formatRefusal, LABEL_FORMATS, type LabelFormat } from '../data/label-layouts.js';
import { defaultSuperpixelCacheDir, loadRegions } from '../superpixels/cache.js';
import { imageLabels, labelsUpTo, type ImageLabels } from './labelled-maps.js';
import { openRunDataset } from './run-data.js';
import { readJson, RunDirectory } from './run-directory.js';

export interface ExportRequest {
  /** The run directory. */
  dir: string;
  /** Default: the latest round with labels. */
  round?: number;
  format: string;
  /** Default: <dir>/export/round-<r>-<format>. */
  to?: string;
  /** Whether to run the round's final model on the images (default true, where its checkpoint exists). */
  predictions?: boolean;
}

export type MapKind = 'labels' | 'pseudo' | 'predictions';

/** A checked request: what will be read and written. */
export interface ExportPlan {
  run: RunDirectory;
  cfg: RunConfig;
  round: number;
  format: LabelFormat;
  to: string;
  train: Dataset;
  images: ImageLabels[];
  /** The pseudo-label PNG of each image (in `images` order), or null when stage 2 has not run. */
  pseudo: string[] | null;
  /** The stage-2 checkpoint to predict with, or null. */
  checkpoint: string | null;
  /** What is not exported, and why. */
  notes: string[];
}

/** Rounds with a labels file, ascending. */
function labelledRounds(run: RunDirectory): number[] {
  const dir = dirname(run.labels(1));
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^round-(\d+)\.json$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Checks a request against the run and the file system; writes nothing. */
export function planExport(req: ExportRequest): ExportPlan {
  const run = new RunDirectory(req.dir);
  if (!(LABEL_FORMATS as readonly string[]).includes(req.format)) throw new Error(`unknown export format "${req.format}": choose one of ${LABEL_FORMATS.join(', ')}`);
  const format = req.format as LabelFormat;
  if (!existsSync(run.config)) throw new Error(`${req.dir}: not a run directory (no config.json); name the folder given to train --out`);
  const cfg: RunConfig = { ...DEFAULT_CONFIG, ...readJson<Partial<RunConfig>>(run.config) };
  const rounds = labelledRounds(run);
  if (rounds.length === 0) {
    const human = cfg.oracle === 'human' ? ': answer the queries with node dist/cli.js annotate, then train --resume turns them into labels' : '';
    throw new Error(`${run.labels(1)}: the run has no labels yet (no labels/round-<r>.json)${human}`);
  }
  const round = req.round ?? rounds[rounds.length - 1]!;
  if (!rounds.includes(round)) throw new Error(`${run.labels(round)}: round ${round} has no labels; rounds with labels: ${rounds.join(', ')}`);
  const to = req.to ?? join(run.dir, 'export', `round-${round}-${format}`);
  if (existsSync(to)) throw new Error(`${to} already exists: remove it or choose another --to`);

  const train = openRunDataset(cfg, 'train');
  const refusal = formatRefusal(format, train.classNames);
  if (refusal) throw new Error(`--format ${format}: ${refusal}`);
  const cacheDir = defaultSuperpixelCacheDir(train, cfg.superpixels);
  const records = labelsUpTo(run, round, train);
  const images = imageLabels(records, train, (i) => loadRegions(train, train.samples[i]!, cacheDir, cfg.superpixels).map, dirname(run.labels(round)));
  if (images.length === 0) throw new Error(`${run.labels(round)}: rounds 1..${round} labelled no region (every answer "unsure")`);

  const notes: string[] = [];
  let pseudo: string[] | null = images.map((im) => join(run.pseudoLabels(round), `${im.id}.png`));
  const missing = pseudo.filter((f) => !existsSync(f));
  if (missing.length === pseudo.length) {
    notes.push(`no pseudo-labels: stage 2 of round ${round} has not run (${run.pseudoLabels(round)})`);
    pseudo = null;
  } else if (missing.length) {
    throw new Error(`${missing[0]}: missing pseudo-label (${missing.length} of ${pseudo.length} labelled images have none): is ${run.pseudoLabels(round)} from this run?`);
  }
  let checkpoint: string | null = run.checkpoint(round, 'stage2');
  if (req.predictions === false) {
    notes.push('no predictions: --no-predictions');
    checkpoint = null;
  } else if (!existsSync(checkpoint)) {
    notes.push(`no predictions: round ${round}'s stage-2 model is not trained yet (${checkpoint})`);
    checkpoint = null;
  }
  return { run, cfg, round, format, to, train, images, pseudo, checkpoint, notes };
}
