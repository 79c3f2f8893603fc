// What a run leaves for people and machines: per-round metrics (JSON and CSV), colour PNGs of
// predictions and pseudo-labels, and a figure of mIoU against clicks (figures/figure-files.ts: its
// Vega-Lite spec, CSV, SVG and PNG).
import { writeFileAtomic } from '../data/atomic-write.js';
import { writeRgbPng } from '../data/png.js';
import { writeLineFigure } from '../figures/figure-files.js';
import type { LineFigure } from '../figures/line-figure.js';

export interface RoundMetrics {
  round: number;
  /** Clicks spent this round and in total so far. */
  clicks: number;
  totalClicks: number;
  regions: number;
  /** Share of the labelled regions whose answer had two or more classes. */
  multiClassShare: number;
  stage1: { miou: number; miouAllClasses: number; pixelAccuracy: number; perClass: number[] };
  stage2: { miou: number; miouAllClasses: number; pixelAccuracy: number; perClass: number[] } | null;
  /** Pseudo-label quality on the labelled images: share of pixels labelled and their accuracy. */
  pseudo: { coverage: number; accuracy: number } | null;
  seconds: number;
  /** What each stage's training saw (absent in records from before it was kept). */
  training?: { stage1: StageTraining | null; stage2: StageTraining | null };
}

/** A stage's batches without a labelled pixel, crops redrawn by the sampler, and its last loss. */
export interface StageTraining {
  emptyBatchShare: number;
  emptyCropShare: number;
  resampledCropShare: number;
  finalLoss: number | null;
}

/** A number as a CSV cell: 6 decimals at most, empty when missing or NaN. */
export function csvNumber(v: number | undefined | null): string {
  return v === undefined || v === null || Number.isNaN(v) ? '' : String(+v.toFixed(6));
}

export async function writeMetrics(dir: string, rounds: readonly RoundMetrics[], classNames: readonly string[]): Promise<void> {
  writeFileAtomic(`${dir}/metrics.json`, JSON.stringify({ rounds }, null, 2));
  const head = ['round', 'clicks', 'total_clicks', 'regions', 'multi_class_share', 'stage1_miou', 'stage2_miou', 'stage1_miou_all', 'stage2_miou_all', 'pseudo_coverage', 'pseudo_accuracy', 'seconds', ...classNames.map((c) => `stage1_iou_${c.replace(/\s+/g, '_')}`), 'stage1_empty_batch_share', 'stage2_empty_batch_share'];
  const rows = rounds.map((r) =>
    [r.round, r.clicks, r.totalClicks, r.regions, csvNumber(r.multiClassShare), csvNumber(r.stage1.miou), csvNumber(r.stage2?.miou), csvNumber(r.stage1.miouAllClasses), csvNumber(r.stage2?.miouAllClasses), csvNumber(r.pseudo?.coverage), csvNumber(r.pseudo?.accuracy), csvNumber(r.seconds), ...r.stage1.perClass.map((v) => csvNumber(v)), csvNumber(r.training?.stage1?.emptyBatchShare), csvNumber(r.training?.stage2?.emptyBatchShare)].join(','),
  );
  writeFileAtomic(`${dir}/metrics.csv`, [head.join(','), ...rows].join('\n') + '\n');
  await writeLineFigure(dir, 'miou-vs-clicks', runFigure(rounds));
}

/** mIoU (%) of stage 1 and stage 2 against cumulative clicks, one row per (stage, round) measured. */
export function runFigure(rounds: readonly RoundMetrics[]): LineFigure {
  const stages = [
    ['stage 1 (partial labels)', (r: RoundMetrics) => r.stage1.miou],
    ['stage 2 (pseudo-labels)', (r: RoundMetrics) => r.stage2?.miou],
  ] as const;
  const rows = stages.flatMap(([stage, miou]) =>
    rounds.flatMap((r) => {
      const v = miou(r);
      return v === undefined || !Number.isFinite(v) ? [] : [{ stage, round: r.round, clicks: r.totalClicks, miou: 100 * v }];
    }),
  );
  return {
    title: 'mIoU vs clicks',
    rows,
    x: { field: 'clicks', title: 'clicks (cumulative)' },
    y: { field: 'miou', title: 'mIoU (%)' },
    series: { field: 'stage', title: 'model', order: stages.map(([s]) => s) },
    width: 420,
    height: 260,
  };
}

/** RGB image of a class-id map (255 and ids without a colour are black). */
export function colourise(labels: ArrayLike<number>, width: number, height: number, palette: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const c = labels[i];
    if (c * 3 + 2 < palette.length) data.set(palette.subarray(c * 3, c * 3 + 3), i * 3);
  }
  return { width, height, data };
}

export function writeLabelPng(file: string, labels: ArrayLike<number>, width: number, height: number, palette: Uint8Array): void {
  writeRgbPng(file, colourise(labels, width, height, palette));
}
