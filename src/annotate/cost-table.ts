// The annotation cost table of the paper's user study (Table 3): per labelling form (dominant,
// multi-class) and number of classes in the region, the queries, the time they took, the clicks,
// time per query and per click, and with ground truth the answers' accuracy.
// Accuracy (the paper's Eq. 14-15 as alseg reads them): the Jaccard index between the set of classes
// answered and the set truly in the region, |A ∩ T| / |A ∪ T|, for a multi-class answer A and for
// a dominant answer {a} alike, so a dominant answer to a region of k classes scores at most 1/k;
// beside it, for dominant answers, the share that named the region's majority class. "Unsure"
// answers are counted and timed but score nothing and click nothing; each annotator's mean is taken
// first and the row gives the mean over annotators, so several annotators who answered the same
// regions weigh the same whatever their number of answers.
import type { Labelling } from '../al/config.js';

/** One answer, with what the region truly holds where the ground truth is known. */
export interface CostRecord {
  annotator: string;
  mode: Labelling;
  /** Classes answered, ascending (empty when unsure). */
  answer: number[];
  unsure: boolean;
  seconds: number;
  clicks: number;
  /** The classes in the region and its majority class, or null without ground truth. */
  truth: { classes: number[]; dominant: number } | null;
}

export type Grouping = 'truth' | 'answer';

export interface CostRow {
  mode: Labelling;
  /** The group: '1', '2', '3', '4+' classes, 'all' for the form's total, '?' for unsure answers grouped by answer. */
  classes: string;
  queries: number;
  unsure: number;
  annotators: number;
  seconds: number;
  clicks: number;
  secondsPerQuery: number;
  secondsPerClick: number | null;
  /** Mean Jaccard index over annotators (answers with known truth, not unsure), or null. */
  jaccard: number | null;
  /** Dominant form: mean share over annotators of answers naming the majority class, or null. */
  dominantHit: number | null;
}

export const MODES: readonly Labelling[] = ['dominant', 'multi'];

/** |A ∩ T| / |A ∪ T|. */
export function jaccard(a: readonly number[], t: readonly number[]): number {
  const union = new Set([...a, ...t]);
  const inter = a.filter((c) => t.includes(c)).length;
  return union.size ? inter / union.size : 0;
}

function groupOf(r: CostRecord, by: Grouping): string {
  const n = by === 'truth' ? r.truth!.classes.length : r.answer.length;
  if (by === 'answer' && r.unsure) return '?';
  return n >= 4 ? '4+' : String(n);
}

/** The mean over annotators of each annotator's mean of `score` (records where it is not null). */
function meanOverAnnotators(records: readonly CostRecord[], score: (r: CostRecord) => number | null): number | null {
  const per = new Map<string, number[]>();
  for (const r of records) {
    const s = score(r);
    if (s !== null) per.set(r.annotator, [...(per.get(r.annotator) ?? []), s]);
  }
  if (per.size === 0) return null;
  const means = [...per.values()].map((v) => v.reduce((a, b) => a + b, 0) / v.length);
  return means.reduce((a, b) => a + b, 0) / means.length;
}

function row(mode: Labelling, classes: string, records: readonly CostRecord[]): CostRow {
  const seconds = records.reduce((s, r) => s + r.seconds, 0);
  const clicks = records.reduce((s, r) => s + r.clicks, 0);
  const scored = (r: CostRecord) => !r.unsure && r.truth !== null && r.truth.classes.length > 0;
  return {
    mode,
    classes,
    queries: records.length,
    unsure: records.filter((r) => r.unsure).length,
    annotators: new Set(records.map((r) => r.annotator)).size,
    seconds,
    clicks,
    secondsPerQuery: records.length ? seconds / records.length : 0,
    secondsPerClick: clicks ? seconds / clicks : null,
    jaccard: meanOverAnnotators(records, (r) => (scored(r) ? jaccard(r.answer, r.truth!.classes) : null)),
    dominantHit: mode === 'dominant' ? meanOverAnnotators(records, (r) => (scored(r) ? (r.answer[0] === r.truth!.dominant ? 1 : 0) : null)) : null,
  };
}

/**
 * The table's rows: per form (dominant, then multi) its groups in order and an 'all' row. Grouped
 * by the true number of classes (every record must have its truth) or, without ground truth, by
 * the number answered.
 */
export function costTable(records: readonly CostRecord[], by: Grouping): CostRow[] {
  if (by === 'truth' && records.some((r) => r.truth === null)) throw new Error('cost table: grouping by the true classes needs the truth of every answered region');
  const order = ['?', '0', '1', '2', '3', '4+'];
  const rows: CostRow[] = [];
  for (const mode of MODES) {
    const mine = records.filter((r) => r.mode === mode);
    if (mine.length === 0) continue;
    const groups = [...new Set(mine.map((r) => groupOf(r, by)))].sort((a, b) => order.indexOf(a) - order.indexOf(b));
    for (const g of groups) rows.push(row(mode, g, mine.filter((r) => groupOf(r, by) === g)));
    rows.push(row(mode, 'all', mine));
  }
  return rows;
}
