// docs/results.md from the experiment records: per grid, mean +- std mIoU per round (stage 2, the
// method's final model, and stage 1), clicks, its figure of mIoU against clicks (grid-figures.ts),
// and the wall time and adapter of every run; plus checks of the paper's orderings computed from
// the numbers.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../data/atomic-write.js';
import { GRIDS, readRecords, runSeconds, wasResumed, type ExperimentRecord } from './experiment.js';
import { writeLineFigure } from '../figures/figure-files.js';
import { lossCurvesFigure, writeGridFigure, type Reference } from './grid-figures.js';
import { csvNumber } from '../run/report.js';

/** Mean and standard deviation over seeds, n the seeds counted. */
type Stat = { mean: number; std: number; n: number };

function meanStd(v: number[]): Stat {
  const ok = v.filter((x) => Number.isFinite(x));
  const mean = ok.reduce((a, b) => a + b, 0) / Math.max(ok.length, 1);
  const std = ok.length > 1 ? Math.sqrt(ok.reduce((a, b) => a + (b - mean) ** 2, 0) / (ok.length - 1)) : 0;
  return { mean, std, n: ok.length };
}

const fmt = (s: Stat) => (s.n === 0 ? '-' : `${(100 * s.mean).toFixed(1)} ± ${(100 * s.std).toFixed(1)}`);

/** The final model of a round: stage 2 when it ran, else stage 1. */
const finalMiou = (r: ExperimentRecord['rounds'][number]) => r.stage2?.miou ?? r.stage1.miou;
const stage1Miou = (r: ExperimentRecord['rounds'][number]) => r.stage1.miou;

/** A run's mIoU (the final model's unless told) averaged over its rounds. */
const runMean = (r: ExperimentRecord, miou = finalMiou): number => r.rounds.reduce((a, x) => a + miou(x), 0) / r.rounds.length;

interface MethodSummary {
  method: string;
  runs: ExperimentRecord[];
  rounds: number;
  final: Stat[];
  stage1: Stat[];
  clicks: number[];
}

function summarise(records: ExperimentRecord[]): MethodSummary[] {
  const methods = [...new Set(records.map((r) => r.method))];
  return methods.map((method) => {
    const runs = records.filter((r) => r.method === method);
    const rounds = Math.max(...runs.map((r) => r.rounds.length));
    const at = (k: number, f: (x: ExperimentRecord['rounds'][number]) => number) => runs.map((r) => (r.rounds[k] ? f(r.rounds[k]) : NaN));
    return {
      method,
      runs,
      rounds,
      final: [...Array(rounds).keys()].map((k) => meanStd(at(k, finalMiou))),
      stage1: [...Array(rounds).keys()].map((k) => meanStd(at(k, stage1Miou))),
      clicks: [...Array(rounds).keys()].map((k) => meanStd(at(k, (x) => x.totalClicks)).mean),
    };
  });
}

function table(rows: MethodSummary[], pick: (m: MethodSummary) => Stat[]): string[] {
  const rounds = Math.max(...rows.map((r) => r.rounds));
  const out = [`| method | seeds | ${[...Array(rounds).keys()].map((k) => `round ${k + 1}`).join(' | ')} | mean |`, `|---|---|${'---|'.repeat(rounds + 1)}`];
  for (const m of rows) {
    const vals = pick(m);
    const mean = meanStd(m.runs.map((r) => runMean(r, pick === pickFinal ? finalMiou : stage1Miou)));
    out.push(`| ${m.method} | ${m.runs.length} | ${vals.map(fmt).join(' | ')} | ${fmt(mean)} |`);
  }
  // One clicks row when every method spent about the same, else one per method (budget grids).
  const clicksRow = (label: string, m: MethodSummary) => `| ${label} | | ${[...Array(rounds).keys()].map((k) => (m.clicks[k] ?? NaN).toFixed(0)).join(' | ')} | |`;
  const same = rows.every((m) => m.clicks.every((c, k) => Math.abs(c - rows[0].clicks[k]) <= 0.05 * rows[0].clicks[k]));
  if (same && rows.length) out.push(clicksRow('clicks (cumulative, mean)', rows[0]));
  else for (const m of rows) out.push(clicksRow(`clicks, ${m.method}`, m));
  return out;
}
const pickFinal = (m: MethodSummary) => m.final;
const pickStage1 = (m: MethodSummary) => m.stage1;

/**
 * a and b over the seeds both have: comparing unequal seed sets would measure the seeds (a grid is
 * read while it is still running). Null when they share no seed yet.
 */
function paired(a: MethodSummary | undefined, b: MethodSummary | undefined): { a: MethodSummary; b: MethodSummary; seeds: string } | null {
  if (!a || !b) return null;
  const common = a.runs.map((r) => r.seed).filter((s) => b.runs.some((r) => r.seed === s)).sort((x, y) => x - y);
  if (!common.length) return null;
  const only = (m: MethodSummary) => summarise(m.runs.filter((r) => common.includes(r.seed)))[0];
  return { a: only(a), b: only(b), seeds: common.length === 1 ? `seed ${common[0]} only` : `${common.length} seeds` };
}


/**
 * Whether a - b holds seed by seed (paired over the seeds both have): the differences of the runs'
 * means over rounds, and a verdict that calls a gap an effect only when every seed agrees on its
 * sign; otherwise the seeds' spread covers it.
 */
function perSeed(a: MethodSummary, b: MethodSummary): { text: string; sign: 1 | -1 | 0 } {
  const diffs = a.runs.flatMap((ra) => {
    const rb = b.runs.find((r) => r.seed === ra.seed);
    return rb ? [runMean(ra) - runMean(rb)] : [];
  });
  const up = diffs.filter((d) => d > 0).length;
  // Signed points to one decimal; a gap that rounds to zero prints as 0.0, not -0.0.
  const points = (d: number) => (Math.abs(100 * d) < 0.05 ? '0.0' : `${d > 0 ? '+' : ''}${(100 * d).toFixed(1)}`);
  const list = diffs.map(points).join(', ');
  const sign = diffs.length > 1 && up === diffs.length ? 1 : diffs.length > 1 && up === 0 ? -1 : 0;
  return { text: `per seed ${list}; ahead in ${up} of ${diffs.length}`, sign };
}

/** Automatic checks of the paper's orderings; each line says what held and where. */
function checks(grid: string, rows: MethodSummary[]): string[] {
  const by = new Map(rows.map((r) => [r.method, r]));
  const lines: string[] = [];
  const last = (m: MethodSummary) => m.final[m.final.length - 1]?.mean ?? NaN;
  const avg = (m: MethodSummary) => meanStd(m.final.map((s) => s.mean)).mean;
  // The paper-regime grids hold the same comparisons as the small-pool ones.
  const kind = grid.replace(/^paper-/, '');
  if (kind === 'fig4') {
    let wins = 0;
    let pairs = 0;
    for (const acq of ['random', 'bvsb', 'classbal', 'pixbal']) {
      const both = paired(by.get(`Mul+${acq}`), by.get(`Dom+${acq}`));
      if (!both) continue;
      const { a: mul, b: dom } = both;
      const rounds = Math.min(mul.rounds, dom.rounds);
      for (let k = 0; k < rounds; k++) {
        pairs++;
        if (mul.final[k].mean > dom.final[k].mean) wins++;
      }
      lines.push(
        `- ${acq}: Mul ${(100 * avg(mul)).toFixed(1)} vs Dom ${(100 * avg(dom)).toFixed(1)} mIoU averaged over rounds, ${both.seeds} (Mul spends ${mul.clicks[rounds - 1]?.toFixed(0)} clicks, Dom ${dom.clicks[rounds - 1]?.toFixed(0)}; ${perSeed(mul, dom).text}).`,
      );
    }
    if (pairs) lines.unshift(`- Multi-class beats dominant labelling in ${wins} of ${pairs} (acquisition, round) pairs at equal click budgets.`);
    const mul = rows.filter((r) => r.method.startsWith('Mul+'));
    if (mul.length) {
      const best = [...mul].sort((a, b) => avg(b) - avg(a))[0];
      const pix = by.get('Mul+pixbal');
      const seeds = (m: MethodSummary) => `${m.runs.length} seed${m.runs.length === 1 ? '' : 's'}`;
      lines.push(`- Best acquisition with multi-class labels (mean over rounds): ${best.method} (${(100 * avg(best)).toFixed(1)}, ${seeds(best)}); PixBal ${pix ? `${(100 * avg(pix)).toFixed(1)} (${seeds(pix)})` : '-'}${pix && best !== pix ? ': PixBal is not the best here' : ''}.`);
    }
  } else if (kind === 'table2') {
    const order = ['(a) MP+PP+loc+exp', '(b) MP+PP+loc', '(c) MP+PP', '(d) MP', '(e) PP'];
    const present = order.filter((m) => by.has(m));
    for (const [hi, lo, what] of [
      ['(a) MP+PP+loc+exp', '(b) MP+PP+loc', 'expansion'],
      ['(b) MP+PP+loc', '(c) MP+PP', 'localisation'],
      ['(c) MP+PP', '(d) MP', 'the PP loss'],
      ['(c) MP+PP', '(e) PP', 'the MP loss'],
    ] as const) {
      const both = paired(by.get(hi), by.get(lo));
      if (!both) continue;
      const { a, b } = both;
      const d = avg(a) - avg(b);
      const seeds = perSeed(a, b);
      // One seed cannot tell an effect from the seed spread; several must agree on the sign.
      const verdict =
        a.runs.length === 1 ? (d > 0 ? 'helps here (one seed)' : 'does not help here (one seed)') : seeds.sign > 0 ? 'helps in every seed' : seeds.sign < 0 ? 'hurts in every seed' : 'not separable from the seed spread';
      lines.push(`- ${what}: ${hi} ${(100 * avg(a)).toFixed(1)} vs ${lo} ${(100 * avg(b)).toFixed(1)} (${d >= 0 ? '+' : ''}${(100 * d).toFixed(1)} mIoU points, mean over rounds, ${both.seeds}; ${seeds.text}): ${verdict}.`);
    }
    if (!present.length) lines.push('- no runs yet');
  } else {
    for (const m of rows) lines.push(`- ${m.method}: final-round mIoU ${(100 * last(m)).toFixed(1)} after ${m.clicks[m.clicks.length - 1]?.toFixed(0)} clicks.`);
    // Round by round: every "Mul ..." method against its "Dom ..." twin, and PixBal against random.
    const versus = (x: MethodSummary, y: MethodSummary, who: string) => {
      const both = paired(x, y);
      if (!both) return;
      const { a, b } = both;
      const rounds = Math.min(a.rounds, b.rounds);
      const wins = [...Array(rounds).keys()].filter((k) => a.final[k].mean > b.final[k].mean).length;
      lines.push(`- ${a.method} vs ${b.method}: ${who} ahead in ${wins} of ${rounds} rounds; ${(100 * avg(a)).toFixed(1)} vs ${(100 * avg(b)).toFixed(1)} mIoU averaged over rounds, ${both.seeds}.`);
    };
    for (const mul of rows.filter((r) => r.method.startsWith('Mul'))) {
      const dom = by.get(`Dom${mul.method.slice(3)}`);
      if (dom) versus(mul, dom, 'multi-class');
    }
    const pix = by.get('Mul+pixbal');
    const rnd = by.get('Mul+random');
    if (pix && rnd) versus(pix, rnd, 'PixBal');
  }
  return lines;
}

/** One row per (run, round) of every grid: the records flattened for spreadsheets and plotting tools. */
export function resultsCsv(docsDir: string): string {
  const rows = ['grid,method,seed,round,total_clicks,stage1_miou,final_miou,pseudo_coverage,pseudo_accuracy,wall_seconds,commit,round_seconds,resumed'];
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  for (const grid of Object.keys(GRIDS)) {
    for (const r of readRecords(docsDir, grid)) {
      for (const m of r.rounds) {
        rows.push([grid, q(r.method), r.seed, m.round, m.totalClicks, csvNumber(m.stage1.miou), csvNumber(finalMiou(m)), csvNumber(m.pseudo?.coverage), csvNumber(m.pseudo?.accuracy), csvNumber(r.wallSeconds), r.commit ?? '', csvNumber(m.seconds), wasResumed(r) ? 1 : 0].join(','));
      }
    }
  }
  return rows.join('\n') + '\n';
}

/** Final-round mIoU (mean, std over seeds) of each method of a grid: the final model and stage 1's. */
function finalRound(records: ExperimentRecord[]): Map<string, { final: Stat; stage1: Stat }> {
  return new Map(summarise(records).map((m) => [m.method, { final: m.final[m.final.length - 1], stage1: m.stage1[m.stage1.length - 1] }]));
}

/**
 * The two regimes side by side (the same method in the small-pool grids and in the paper-regime
 * grids), each paper-regime result as a percentage of the fully supervised reference, and the
 * perfect-localisation upper bound beside the real runs.
 */
async function regimeComparison(docsDir: string): Promise<string[]> {
  const ref = supervisedReference(docsDir);
  const pctOf = (v: number) => (ref && ref.mean > 0 && Number.isFinite(v) ? `${((100 * v) / ref.mean).toFixed(0)}%` : '-');
  const out = ['## The two regimes side by side', ''];
  out.push(
    ref
      ? `Fully supervised reference (grid \`supervised\`, same model and pretrained backbone, every pixel label of the paper regime's training split): **${fmt(ref)} mIoU** over ${ref.n} seed(s). Paper-regime results are also given as a percentage of it, as the paper does.`
      : 'The fully supervised reference (grid `supervised`) has no runs recorded yet; percentages of it are left blank.',
    '',
    'Last round of each method; "stage 1" is the model trained on the partial labels alone, beside the final (stage-2) model.',
    '',
    '| grid | method | small pool, random init: final | paper regime: final | % of supervised | paper regime: stage 1 | upper bound (perfect localisation): final | bound, % of supervised | bound: stage 1 |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  const bound = finalRound(readRecords(docsDir, 'upper-bound'));
  for (const [small, paper] of [['fig4', 'paper-fig4'], ['table2', 'paper-table2']]) {
    const a = finalRound(readRecords(docsDir, small));
    const b = finalRound(readRecords(docsDir, paper));
    for (const method of new Set([...a.keys(), ...b.keys()])) {
      const ub = bound.get(`${method} bound`);
      const pb = b.get(method);
      const sa = a.get(method);
      out.push(
        `| ${small} | ${method} | ${sa ? fmt(sa.final) : '-'} | ${pb ? fmt(pb.final) : '-'} | ${pb ? pctOf(pb.final.mean) : '-'} | ${pb ? fmt(pb.stage1) : '-'} | ${ub ? fmt(ub.final) : ''} | ${ub ? pctOf(ub.final.mean) : ''} | ${ub ? fmt(ub.stage1) : ''} |`,
      );
    }
  }
  out.push('');
  const rec = ['paper-fig4', 'paper-table2', 'upper-bound'].flatMap((g) => readRecords(docsDir, g)).find((r) => r.curves?.length);
  const curves = rec && lossCurvesFigure(rec);
  if (rec && curves) {
    const files = await writeLineFigure(docsDir, 'results-loss-curves', curves);
    out.push(
      `Loss curves of one paper-regime run (${rec.grid} ${rec.method} seed ${rec.seed}), first and last round, a panel per stage on its own scale (the loss every 10 iterations; a stage has converged when its curve has flattened; spec [${files.spec}](${files.spec}), data [${files.csv}](${files.csv})):`,
      '',
      `![loss curves](${files.png})`,
      '',
    );
  }
  return out;
}

/** The fully supervised reference (grid `supervised`): its final mIoU over seeds, null when not recorded. */
function supervisedReference(docsDir: string): Stat | null {
  const sup = readRecords(docsDir, 'supervised');
  return sup.length ? meanStd(sup.map((r) => finalMiou(r.rounds[r.rounds.length - 1]))) : null;
}

export async function writeResultsReport(docsDir: string): Promise<string> {
  // Every record is read (and checked, naming a bad file) before any figure or table is written.
  for (const grid of Object.keys(GRIDS)) readRecords(docsDir, grid);
  const parts: string[] = [
    '# Results on the synthetic benchmark',
    '',
    'Generated by `node dist/cli.js experiment report` from the per-run records in `docs/results-data/` (committed;',
    '`docs/results-data/all-runs.csv` has every run and round in one table);',
    '`node dist/cli.js experiment <grid>` reruns a grid (finished runs are kept, an interrupted run resumes;',
    '`--shard i/n` splits a grid across machines). mIoU is over the synthetic set\'s real classes on its validation',
    'split (the undefined class is excluded), in %, mean ± standard deviation over seeds. "Final" is the stage-2 model',
    '(the method\'s output each round); stage 1 is the model trained on the partial labels alone.',
    '',
    'Two regimes: the first grids (fig4, table2, budget, scale) ran on a small pool (24 images) from random',
    'initialisation, where the budget labels most of the pool (their records predate the labelled-crop sampler and',
    'the reading fixes of issue 11; each run\'s commit is listed); the paper-regime grids (paper-fig4, paper-table2,',
    'supervised, upper-bound) run on a 240-image pool the budget labels sparsely (<= ~8% of its regions), from a',
    'pretrained backbone (`node dist/cli.js pretrain`, the ImageNet stand-in), with longer stages.',
    '',
    ...(await regimeComparison(docsDir)),
  ];
  const sup = supervisedReference(docsDir);
  // The reference belongs to the paper regime's data: the small-pool grids' pool is another set.
  const reference = (grid: string): Reference | null => (sup && GRIDS[grid]!.regime === 'paper' && grid !== 'supervised' ? { miou: sup.mean, seeds: sup.n } : null);
  for (const [grid, g] of Object.entries(GRIDS)) {
    const records = readRecords(docsDir, grid);
    const expected = g.runs().length;
    parts.push(`## ${grid}: ${g.title}`, '', `Regime: ${g.regime === 'paper' ? "the paper's (large pool, pretrained backbone)" : 'small pool, random initialisation'}.`, '');
    if (!records.length) {
      parts.push(`No runs recorded yet (0 of ${expected}).`, '');
      continue;
    }
    const rows = summarise(records);
    const c = records[0].config;
    parts.push(
      `${records.length} of ${expected} runs recorded. Settings: ${c.dataset} ${c.synthetic.train} train / ${c.synthetic.val} val images at ${c.synthetic.height}x${c.synthetic.width}, preset \`${c.preset}\`${c.pretrained ? `, pretrained backbone ${c.pretrained}` : ', random initialisation'}, ${c.rounds} rounds of ${[...new Set(records.map((r) => r.config.budget))].join(' or ')} clicks, ${c.iterations} stage-1 + ${c.stage2Iterations} stage-2 iterations per round, batch ${c.batch}, crop ${c.crop}, SEEDS superpixels (${c.superpixels.algorithm}).`,
      '',
      '### Final model (stage 2) mIoU per round',
      '',
      ...table(rows, pickFinal),
      '',
      '### Stage-1 mIoU per round',
      '',
      ...table(rows, pickStage1),
      '',
    );
    const figure = await writeGridFigure(docsDir, grid, records, reference(grid));
    if (figure) parts.push(`![mIoU vs clicks](${figure.png})`, '', figure.caption, '');
    parts.push('### What the numbers say', '', ...checks(grid, rows), '', '### Runs', '', '| run | seed | time | adapter | commit |', '|---|---|---|---|---|');
    // A resumed run's wall time is only its last process's part: its rounds' own seconds instead.
    const time = (r: ExperimentRecord) =>
      r.reusedFrom ? `none: the same configuration as ${r.reusedFrom}` : `${(runSeconds(r) / 60).toFixed(1)} min${wasResumed(r) ? ' (resumed: rounds\' own time)' : ''}`;
    for (const r of records) parts.push(`| ${r.method} | ${r.seed} | ${time(r)} | ${r.adapter} | ${r.commit ?? 'not recorded'} |`);
    parts.push('');
  }
  // Hand-written reading of the numbers, kept beside the records so regeneration keeps it.
  const notes = join(docsDir, 'results-notes.md');
  if (existsSync(notes)) parts.push(readFileSync(notes, 'utf8'));
  writeFileAtomic(join(docsDir, 'results-data', 'all-runs.csv'), resultsCsv(docsDir));
  const file = join(docsDir, 'results.md');
  writeFileAtomic(file, parts.join('\n'));
  return file;
}
