// docs/results.md from hand-made records: the mean ± std tables, the automatic checks of the
// paper's orderings, the figures it links, the per-run list and the hand-written notes.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/al/config.js';
import type { ExperimentRecord } from '../../src/experiments/experiment.js';
import { writeResultsReport } from '../../src/experiments/results-report.js';

function record(grid: string, method: string, seed: number, final: number[], stage1: number[], budget = 80): ExperimentRecord {
  const m = (miou: number) => ({ miou, miouAllClasses: miou, pixelAccuracy: 0.5, perClass: [] });
  return {
    grid,
    method,
    seed,
    config: { ...DEFAULT_CONFIG, budget },
    adapter: 'lavapipe (test)',
    commit: 'abc1234',
    wallSeconds: 150,
    rounds: final.map((f, k) => ({ round: k + 1, clicks: budget, totalClicks: budget * (k + 1), regions: 10, multiClassShare: 0.5, stage1: m(stage1[k]), stage2: m(f), pseudo: null, seconds: 30 })),
  };
}

function write(docs: string, r: ExperimentRecord): void {
  const dir = join(docs, 'results-data', r.grid);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${r.method.replace(/[^A-Za-z0-9]+/g, '-')}-seed${r.seed}.json`), JSON.stringify(r));
}

describe('results report', () => {
  it('tabulates mean ± std per round, checks the orderings, draws the figures and keeps the notes', async () => {
    const docs = mkdtempSync(join(tmpdir(), 'alseg-report-'));
    // Mul+random: final 10/14 then 20/20 -> 12.0 ± 2.8, 20.0 ± 0.0; Dom+random below in round 1, above in round 2.
    write(docs, record('fig4', 'Mul+random', 0, [0.1, 0.2], [0.09, 0.18]));
    write(docs, record('fig4', 'Mul+random', 1, [0.14, 0.2], [0.11, 0.18]));
    // Resumed runs: wall time is only the last process's part. Seed 0 as an older record (no
    // flag: told by a wall time short of its rounds' seconds), seed 1 with the flag.
    write(docs, { ...record('fig4', 'Dom+random', 0, [0.08, 0.25], [0.08, 0.2]), wallSeconds: 20 });
    write(docs, { ...record('fig4', 'Dom+random', 1, [0.1, 0.25], [0.08, 0.2]), wallSeconds: 90, resumed: true });
    write(docs, record('budget', 'Mul 40/round', 0, [0.3, 0.4], [0.3, 0.4], 40));
    write(docs, record('budget', 'Dom 40/round', 0, [0.2, 0.5], [0.2, 0.5], 40));
    write(docs, record('budget', 'Mul 160/round', 0, [0.3, 0.4], [0.3, 0.4], 160));
    write(docs, record('scale', 'Mul+pixbal', 0, [0.2, 0.3, 0.4], [0.2, 0.3, 0.4], 120));
    write(docs, record('scale', 'Dom+pixbal', 0, [0.1, 0.35, 0.3], [0.1, 0.3, 0.3], 120));
    // A record copied from a run of the same configuration in another grid.
    write(docs, { ...record('scale', 'Mul+random', 0, [0.25, 0.25, 0.25], [0.2, 0.2, 0.2], 120), wallSeconds: 0, reusedFrom: 'fig4/Mul-random-seed0' });
    writeFileSync(join(docs, 'results-notes.md'), '## Reading\n\nA hand-written note.\n');

    const md = readFileSync(await writeResultsReport(docs), 'utf8');
    expect(md).toContain('## fig4:');
    expect(md).toContain('4 of 24 runs recorded');
    expect(md).toContain('rounds of 80 clicks');
    expect(md).toMatch(/\| Mul\+random \| 2 \| 12\.0 ± 2\.8 \| 20\.0 ± 0\.0 \| 16\.0 ± 1\.4 \|/);
    expect(md).toMatch(/\| Mul\+random \| 2 \| 10\.0 ± 1\.4 \| 18\.0 ± 0\.0 \|/); // stage 1
    expect(md).toContain('Multi-class beats dominant labelling in 1 of 2 (acquisition, round) pairs');
    expect(md).toContain('- random: Mul 16.0 vs Dom 17.0');
    // Seed by seed: means over rounds 15.0 vs 16.5 (seed 0) and 17.0 vs 17.5 (seed 1).
    expect(md).toContain('(Mul spends 160 clicks, Dom 160; per seed -1.5, -0.5; ahead in 0 of 2).');
    expect(md).toContain('Mul 40/round vs Dom 40/round: multi-class ahead in 1 of 2 rounds; 35.0 vs 35.0');
    expect(md).toContain('Mul+pixbal vs Dom+pixbal: multi-class ahead in 2 of 3 rounds; 30.0 vs 25.0');
    expect(md).toContain('Mul+pixbal vs Mul+random: PixBal ahead in 2 of 3 rounds; 30.0 vs 25.0');
    expect(md).toContain('3 of 9 runs recorded');
    // Equal spending: one clicks row; budgets that differ: one row per method.
    expect(md).toContain('| clicks (cumulative, mean) | | 80 | 160 | |');
    expect(md).toContain('| clicks, Mul 40/round | | 40 | 80 | |');
    expect(md).toContain('| clicks, Mul 160/round | | 160 | 320 | |');
    expect(md).toContain('No runs recorded yet (0 of 15)'); // table2
    expect(md).toContain('| Mul+random | 0 | 2.5 min | lavapipe (test) | abc1234 |');
    expect(md).toContain("| Dom+random | 0 | 1.0 min (resumed: rounds' own time) | lavapipe (test) | abc1234 |");
    expect(md).toContain("| Dom+random | 1 | 1.0 min (resumed: rounds' own time) | lavapipe (test) | abc1234 |");
    expect(md).toContain('| Mul+random | 0 | none: the same configuration as fig4/Mul-random-seed0 | lavapipe (test) | abc1234 |');
    expect(md.trimEnd().endsWith('A hand-written note.')).toBe(true);

    // Every run and round in one CSV: 4 fig4 runs x 2 rounds + 3 budget x 2 + 3 scale x 3.
    const csv = readFileSync(join(docs, 'results-data', 'all-runs.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('grid,method,seed,round,total_clicks,stage1_miou,final_miou,pseudo_coverage,pseudo_accuracy,wall_seconds,commit,round_seconds,resumed');
    expect(csv).toHaveLength(1 + 8 + 6 + 9);
    expect(csv).toContain('fig4,Mul+random,1,1,80,0.11,0.14,,,150,abc1234,30,0');
    expect(csv).toContain('fig4,Dom+random,0,2,160,0.2,0.25,,,20,abc1234,30,1');

    // Each grid with records has its figure (the figure itself: test/experiments/grid-figures.test.ts).
    for (const grid of ['fig4', 'budget', 'scale']) {
      expect(md).toContain(`![mIoU vs clicks](results-${grid}.png)`);
      for (const ext of ['png', 'svg', 'vl.json', 'csv']) expect(existsSync(join(docs, `results-${grid}.${ext}`)), `results-${grid}.${ext}`).toBe(true);
    }
    expect(existsSync(join(docs, 'results-table2.png'))).toBe(false); // no records
    const budget = JSON.parse(readFileSync(join(docs, 'results-budget.vl.json'), 'utf8')) as { facet: { sort: string[] } };
    expect(budget.facet.sort).toEqual(['40 clicks a round', '160 clicks a round']);
  });

  it('sets the regimes side by side: final and stage 1, % of the supervised reference, the bound', async () => {
    const docs = mkdtempSync(join(tmpdir(), 'alseg-report-'));
    write(docs, record('supervised', 'Supervised', 0, [0.3], [0.3]));
    write(docs, record('supervised', 'Supervised', 1, [0.34], [0.34]));
    write(docs, record('fig4', 'Mul+pixbal', 0, [0.05, 0.1], [0.05, 0.12]));
    write(docs, record('paper-fig4', 'Mul+pixbal', 0, [0.1, 0.16], [0.15, 0.2]));
    write(docs, record('paper-fig4', 'Mul+pixbal', 1, [0.1, 0.18], [0.15, 0.22]));
    write(docs, record('upper-bound', 'Mul+pixbal bound', 0, [0.2, 0.24], [0.19, 0.21]));
    // Grids read while running: comparisons use the seeds both sides have.
    write(docs, record('paper-fig4', 'Dom+pixbal', 1, [0.12, 0.12], [0.15, 0.2]));
    write(docs, record('paper-table2', '(a) MP+PP+loc+exp', 0, [0.2, 0.2], [0.2, 0.2]));
    write(docs, record('paper-table2', '(a) MP+PP+loc+exp', 1, [0.4, 0.4], [0.2, 0.2]));
    write(docs, record('paper-table2', '(a) MP+PP+loc+exp', 2, [0.1, 0.1], [0.2, 0.2]));
    write(docs, record('paper-table2', '(b) MP+PP+loc', 0, [0.15, 0.15], [0.2, 0.2]));
    const md = readFileSync(await writeResultsReport(docs), 'utf8');
    expect(md).toContain('- pixbal: Mul 14.0 vs Dom 12.0 mIoU averaged over rounds, seed 1 only');
    expect(md).toContain('- expansion: (a) MP+PP+loc+exp 20.0 vs (b) MP+PP+loc 15.0 (+5.0 mIoU points, mean over rounds, seed 0 only; per seed +5.0; ahead in 1 of 1): helps here (one seed).');
    expect(md).toContain('**32.0 ± 2.8 mIoU** over 2 seed(s)');
    // final 17.0 ± 1.4 is 53% of 32.0; stage 1 21.0 ± 1.4; the bound 24.0 (75%), its stage 1 21.0.
    expect(md).toContain('| fig4 | Mul+pixbal | 10.0 ± 0.0 | 17.0 ± 1.4 | 53% | 21.0 ± 1.4 | 24.0 ± 0.0 | 75% | 21.0 ± 0.0 |');
    // The reference is dashed in the paper regime's figures only: the small pool is another data set.
    const rules = (grid: string) => (JSON.parse(readFileSync(join(docs, `results-${grid}.vl.json`), 'utf8')) as { spec: { layer: { mark: { type: string }; data?: { values: { reference: number }[] } }[] } }).spec.layer.filter((l) => l.mark.type === 'rule');
    expect(rules('paper-fig4').map((l) => l.data!.values[0].reference)).toEqual([32]);
    expect(rules('upper-bound')).toHaveLength(1);
    expect(rules('fig4')).toEqual([]);
    expect(existsSync(join(docs, 'results-supervised.png'))).toBe(false);
    expect(md).toContain('the dashed line the fully supervised reference (grid supervised)');
  });
  it('calls a table-2 gap an effect only when every seed agrees on its sign', async () => {
    const docs = mkdtempSync(join(tmpdir(), 'alseg-report-'));
    // (c) over (d): +2, +1, +3 points -> every seed; (b) over (c): +6, -2, +2 -> the spread covers
    // a larger mean gap; (c) over (e): -1, -1, -1 -> every seed the other way.
    const c = [0.2, 0.2, 0.2];
    c.forEach((v, seed) => write(docs, record('paper-table2', '(c) MP+PP', seed, [v, v], [v, v])));
    [0.18, 0.19, 0.17].forEach((v, seed) => write(docs, record('paper-table2', '(d) MP', seed, [v, v], [v, v])));
    [0.26, 0.18, 0.22].forEach((v, seed) => write(docs, record('paper-table2', '(b) MP+PP+loc', seed, [v, v], [v, v])));
    [0.21, 0.21, 0.21].forEach((v, seed) => write(docs, record('paper-table2', '(e) PP', seed, [v, v], [v, v])));
    const md = readFileSync(await writeResultsReport(docs), 'utf8');
    expect(md).toContain('- the PP loss: (c) MP+PP 20.0 vs (d) MP 18.0 (+2.0 mIoU points, mean over rounds, 3 seeds; per seed +2.0, +1.0, +3.0; ahead in 3 of 3): helps in every seed.');
    expect(md).toContain('- localisation: (b) MP+PP+loc 22.0 vs (c) MP+PP 20.0 (+2.0 mIoU points, mean over rounds, 3 seeds; per seed +6.0, -2.0, +2.0; ahead in 2 of 3): not separable from the seed spread.');
    expect(md).toContain('- the MP loss: (c) MP+PP 20.0 vs (e) PP 21.0 (-1.0 mIoU points, mean over rounds, 3 seeds; per seed -1.0, -1.0, -1.0; ahead in 0 of 3): hurts in every seed.');
  });
});
