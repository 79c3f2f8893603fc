// The figures of docs/results.md: per grid, mIoU against clicks laid out by the grid's
// FigureLayout (a panel per acquisition or setting, a line per labelling or loss), each line the
// mean over seeds with a min-max band, the fully supervised reference dashed; and the loss curves of
// one run. Each is written as its Vega-Lite spec, CSV, SVG and PNG (figures/figure-files.ts).
import { DEFAULT_CONFIG } from '../al/config.js';
import { writeLineFigure } from '../figures/figure-files.js';
import type { LineFigure } from '../figures/line-figure.js';
import { seedBands, type SeedPoint } from '../figures/seed-bands.js';
import { gridOf, gridSettings, type ExperimentRecord } from './experiment.js';
import { DEFAULT_LAYOUT, type Facet, type FigureLayout, type LaidOutRun } from './figure-layout.js';

/** The fully supervised reference: mean final mIoU (fraction) over its seeds. */
export interface Reference {
  miou: number;
  seeds: number;
}

/** A grid's figure layout: its own, the default when it gives none, null when it wants no figure. */
export function layoutOf(grid: string): FigureLayout | null {
  const f = gridOf(grid).figure;
  return f === undefined ? DEFAULT_LAYOUT : f;
}

/** Values of a facet in the order the grid lists its runs, then any only records have (older grids' runs). */
function facetOrder(grid: string, facet: Facet, records: readonly LaidOutRun[]): string[] {
  const declared = gridOf(grid).runs().map((run) => facet.of({ method: run.method, config: gridSettings(grid, run) }));
  return [...new Set([...declared, ...records.map(facet.of)])];
}

/**
 * The figure of a grid's records (null when the grid wants none or nothing is recorded): x the
 * clicks spent so far, y the chosen model's mIoU in %, per round the mean, min and max over seeds.
 */
export function gridFigure(grid: string, records: readonly ExperimentRecord[], reference: Reference | null, layout = layoutOf(grid)): LineFigure | null {
  if (!layout || !records.length) return null;
  // Records of older code lack newer settings: those take their defaults (as when such a run resumes).
  const runs = records.map((r) => ({ record: r, run: { method: r.method, config: { ...DEFAULT_CONFIG, ...r.config } } }));
  const stage1 = layout.model === 'stage1';
  const points: SeedPoint[] = runs.flatMap(({ record, run }) =>
    record.rounds.map((m) => ({
      panel: layout.panel?.of(run) ?? '',
      series: layout.series.of(run),
      seed: record.seed,
      round: m.round,
      clicks: m.totalClicks,
      miou: 100 * (stage1 ? m.stage1.miou : (m.stage2?.miou ?? m.stage1.miou)),
    })),
  );
  const rows = seedBands(points);
  if (!rows.length) return null;
  const present = (field: 'panel' | 'series', order: string[]) => order.filter((v) => rows.some((r) => r[field] === v));
  // A grid read while it runs has lines of fewer seeds than others: the subtitle gives the range.
  const fewest = Math.min(...rows.map((r) => r.seeds));
  const most = Math.max(...rows.map((r) => r.seeds));
  const seedText = fewest === most ? `${most} seed${most === 1 ? '' : 's'}` : `${fewest}-${most} seeds`;
  const model = stage1 ? 'stage-1 model' : 'final model (stage 2)';
  const ref = reference ? { value: 100 * reference.miou, label: `fully supervised: ${(100 * reference.miou).toFixed(1)} (${reference.seeds} seed${reference.seeds === 1 ? '' : 's'})` } : undefined;
  const panelRows = layout.panel ? rows : rows.map(({ panel: _panel, ...r }) => r);
  return {
    title: `${grid}: mIoU of the ${model} vs clicks`,
    subtitle: [
      most > 1 ? `line: mean over ${seedText} (at their mean clicks); band: lowest to highest seed` : `line: ${seedText}`,
      ...(ref ? ['dashed: the fully supervised reference'] : []),
    ],
    rows: panelRows,
    x: { field: 'clicks', title: 'clicks (cumulative)' },
    y: { field: 'miou', title: 'mIoU (%)' },
    series: { field: 'series', title: layout.series.title, order: present('series', facetOrder(grid, layout.series, runs.map((r) => r.run))) },
    ...(layout.panel ? { panel: { field: 'panel', order: present('panel', facetOrder(grid, layout.panel, runs.map((r) => r.run))) } } : {}),
    band: { lo: 'miou_min', hi: 'miou_max' },
    reference: ref,
  };
}

/** Writes a grid's figure as docs/results-<grid>.{png,svg,vl.json,csv}; null when it has none. */
export async function writeGridFigure(docsDir: string, grid: string, records: readonly ExperimentRecord[], reference: Reference | null): Promise<{ png: string; caption: string } | null> {
  const layout = layoutOf(grid);
  const fig = gridFigure(grid, records, reference, layout);
  if (!fig || !layout) return null;
  const files = await writeLineFigure(docsDir, `results-${grid}`, fig);
  const caption =
    `mIoU (%) of the ${layout.model === 'stage1' ? 'stage-1 model' : 'final model (stage 2)'} against the clicks spent so far${layout.panel ? `, panels by ${layout.panel.title}` : ''}, lines by ${layout.series.title}: ` +
    `each line the mean over seeds (x: the mean of their clicks), its band from the lowest to the highest seed${reference ? ', the dashed line the fully supervised reference (grid supervised)' : ''}. ` +
    `Restyle it from its Vega-Lite spec [${files.spec}](${files.spec}) (data inline, also in [${files.csv}](${files.csv})); vector version [${files.svg}](${files.svg}).`;
  return { png: files.png, caption };
}

/** The loss curves of a record's first and last round: a panel per stage (own y scale), a line per round. */
export function lossCurvesFigure(rec: ExperimentRecord): LineFigure | null {
  if (!rec.curves?.length) return null;
  const last = Math.max(...rec.curves.map((c) => c.round));
  const stageName = (s: string) => (s === 'stage1' ? 'stage 1' : 'stage 2');
  const curves = rec.curves.filter((c) => c.round === 1 || c.round === last);
  const rows = curves.flatMap((c) => c.losses.map(([iteration, loss]) => ({ stage: stageName(c.stage), round: `round ${c.round}`, iteration, loss })));
  return {
    title: `loss curves: ${rec.grid} ${rec.method} seed ${rec.seed}`,
    subtitle: ['the training loss every 10 iterations, first and last round; each stage on its own scales'],
    rows,
    x: { field: 'iteration', title: 'iteration', independent: true },
    y: { field: 'loss', title: 'loss', independent: true },
    series: { field: 'round', title: 'round', order: [...new Set(curves.map((c) => `round ${c.round}`))] },
    panel: { field: 'stage', order: [...new Set(curves.map((c) => stageName(c.stage)))] },
    points: false,
  };
}
