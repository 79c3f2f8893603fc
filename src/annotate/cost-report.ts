// `alseg report annotation`: the cost table (cost-table.ts) of a study or a human-oracle run, as
// text, as annotation-cost.csv and as annotation-cost.png (time per click by number of classes,
// dominant against multi-class) in the study's or run's folder. Everything is read and computed
// before anything is written.
import { join } from 'node:path';
import { writeFileAtomic } from '../data/atomic-write.js';
import { barChartPng } from '../figures/bar-chart.js';
import { csvNumber } from '../run/report.js';
import { costRecords, type CostSource } from './cost-records.js';
import { costTable, MODES, type CostRow, type Grouping } from './cost-table.js';

export interface AnnotationReport {
  source: CostSource;
  grouping: Grouping;
  rows: CostRow[];
  /** The lines to print. */
  text: string[];
  csv: string;
  png: Buffer;
  files: { csv: string; png: string };
}

const FORM: Record<CostRow['mode'], string> = { dominant: 'dominant', multi: 'multi-class' };
const fixed = (v: number | null, d: number) => (v === null ? '-' : v.toFixed(d));
const percent = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(1)}%`);

function textTable(rows: readonly CostRow[], grouping: Grouping): string[] {
  const head = ['form', grouping === 'truth' ? 'classes' : 'answered', 'queries', 'unsure', 'annotators', 'time (s)', 'clicks', 's/query', 's/click', 'Jaccard', 'dominant hit'];
  const cells = rows.map((r) => [FORM[r.mode], r.classes, String(r.queries), String(r.unsure), String(r.annotators), fixed(r.seconds, 1), String(r.clicks), fixed(r.secondsPerQuery, 2), fixed(r.secondsPerClick, 2), percent(r.jaccard), percent(r.dominantHit)]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => c.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...cells.map(line)];
}

export async function annotationReport(dir: string, truth?: string): Promise<AnnotationReport> {
  const source = costRecords(dir, truth);
  if (source.records.length === 0) throw new Error(`${dir}: no answers yet (answers/): answer the queries with node dist/cli.js annotate --out ${dir}`);
  const grouping: Grouping = source.truth ? 'truth' : 'answer';
  const rows = costTable(source.records, grouping);
  const text = [
    `annotation cost of the ${source.what}`,
    grouping === 'truth'
      ? 'grouped by the number of classes truly in the region; Jaccard: |answered ∩ true classes| / |answered ∪ true classes|, mean over annotators'
      : 'grouped by the number of classes answered: no ground truth (give --truth to group by the classes truly in each region and score the answers)',
    ...textTable(rows, grouping),
  ];
  const head = ['form', grouping === 'truth' ? 'classes' : 'answered_classes', 'queries', 'unsure', 'annotators', 'seconds', 'clicks', 'seconds_per_query', 'seconds_per_click', 'jaccard', 'dominant_hit'];
  const csv = [head, ...rows.map((r) => [r.mode, r.classes, r.queries, r.unsure, r.annotators, csvNumber(r.seconds), r.clicks, csvNumber(r.secondsPerQuery), csvNumber(r.secondsPerClick), csvNumber(r.jaccard), csvNumber(r.dominantHit)])]
    .map((c) => c.join(','))
    .join('\n');
  const groups = [...new Set(rows.filter((r) => r.classes !== 'all').map((r) => r.classes))];
  const series = MODES.filter((m) => rows.some((r) => r.mode === m)).map((m) => ({ name: FORM[m], values: groups.map((g) => rows.find((r) => r.mode === m && r.classes === g)?.secondsPerClick ?? null) }));
  const png = await barChartPng(
    groups.map((g) => (g === '?' ? 'unsure' : g)),
    series,
    { title: 'Time per click', xLabel: grouping === 'truth' ? 'classes in the region' : 'classes answered', yLabel: 'seconds per click' },
  );
  return { source, grouping, rows, text, csv: `${csv}\n`, png, files: { csv: join(dir, 'annotation-cost.csv'), png: join(dir, 'annotation-cost.png') } };
}

export function writeAnnotationReport(r: AnnotationReport): void {
  writeFileAtomic(r.files.csv, r.csv);
  writeFileAtomic(r.files.png, r.png);
}
