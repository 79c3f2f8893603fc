// The cost table's arithmetic on hand-made answers: groups, clicks, times, the Jaccard index of
// answered against true classes, the mean over annotators, "unsure", and grouping by answer.
import { describe, expect, it } from 'vitest';
import { costTable, jaccard, type CostRecord } from '../../src/annotate/cost-table.js';

const rec = (annotator: string, mode: 'dominant' | 'multi', answer: number[], truth: number[] | null, seconds: number, dominant = truth?.[0] ?? 0): CostRecord => ({
  annotator,
  mode,
  answer,
  unsure: answer.length === 0,
  seconds,
  clicks: answer.length === 0 ? 0 : mode === 'multi' ? answer.length : 1,
  truth: truth ? { classes: truth, dominant } : null,
});

describe('annotation cost table', () => {
  it('Jaccard of answered and true sets', () => {
    expect(jaccard([1, 2], [1, 2])).toBe(1);
    expect(jaccard([1], [1, 2, 3])).toBeCloseTo(1 / 3);
    expect(jaccard([1, 4], [1, 2])).toBeCloseTo(1 / 3);
    expect(jaccard([5], [1, 2])).toBe(0);
  });

  it('groups by true classes; the mean over annotators weighs each annotator once', () => {
    const records = [
      // ann a: two 2-class regions, one right, one half right; ann b: one 2-class region wrong.
      rec('a', 'multi', [1, 2], [1, 2], 4),
      rec('a', 'multi', [1], [1, 3], 2),
      rec('b', 'multi', [7], [1, 2], 6),
      rec('b', 'multi', [], [1, 2], 3), // unsure: timed, no clicks, not scored
      rec('a', 'dominant', [2], [1, 2], 1, 2),
      rec('b', 'dominant', [1], [1], 2),
    ];
    const rows = costTable(records, 'truth');
    expect(rows.map((r) => `${r.mode} ${r.classes}`)).toEqual(['dominant 1', 'dominant 2', 'dominant all', 'multi 2', 'multi all']);
    const multi2 = rows.find((r) => r.mode === 'multi' && r.classes === '2')!;
    expect(multi2).toMatchObject({ queries: 4, unsure: 1, annotators: 2, seconds: 15, clicks: 4, secondsPerQuery: 3.75, secondsPerClick: 3.75, dominantHit: null });
    // a: (1 + 0.5) / 2 = 0.75; b: 0 (the unsure answer is not scored); mean 0.375.
    expect(multi2.jaccard).toBeCloseTo(0.375);
    const dom2 = rows.find((r) => r.mode === 'dominant' && r.classes === '2')!;
    expect([dom2.jaccard, dom2.dominantHit]).toEqual([0.5, 1]);
    const domAll = rows.find((r) => r.mode === 'dominant' && r.classes === 'all')!;
    // a: 0.5, b: 1 -> 0.75.
    expect([domAll.queries, domAll.clicks, domAll.jaccard]).toEqual([2, 2, 0.75]);
  });

  it('without truth groups by the classes answered, unsure apart, and scores nothing', () => {
    const rows = costTable([rec('a', 'multi', [1, 2, 3, 4], null, 8), rec('a', 'multi', [], null, 1), rec('a', 'multi', [0], null, 2)], 'answer');
    expect(rows.map((r) => [r.classes, r.queries, r.clicks, r.secondsPerClick, r.jaccard])).toEqual([
      ['?', 1, 0, null, null],
      ['1', 1, 1, 2, null],
      ['4+', 1, 4, 2, null],
      ['all', 3, 5, 11 / 5, null],
    ]);
    expect(() => costTable([rec('a', 'multi', [1], null, 1)], 'truth')).toThrow(/needs the truth of every answered region/);
  });
});
