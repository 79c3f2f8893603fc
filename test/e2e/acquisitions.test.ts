// `node dist/cli.js train --acquisition margin|entropy|bald|knn` as a user runs it: each finishes two
// rounds, round 2 selects with it, and every round spends its click budget by the rule all
// acquisitions share (selectByBudget): regions are taken while the round's clicks are below the
// budget, so the round ends at or past it by less than its last region's clicks. No region is
// labelled twice. A bad --bald-passes stops the run before anything is written.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli-process.js';

const base = mkdtempSync(join(tmpdir(), 'alseg-acq-'));
const BUDGET = 20;
const ARGS = ['train', '--rounds', '2', '--iterations', '2', '--stage2-iterations', '2', '--budget', String(BUDGET), '--synthetic-size', '8x3@128x256', '--crop', '32', '--batch', '2', '--visualise', '0', '--root', join(base, 'data')];

interface Label {
  image: number;
  region: number;
  clicks: number;
  round: number;
}

describe('train with the acquisitions beyond the authors\' code', () => {
  for (const acquisition of ['margin', 'entropy', 'bald', 'knn']) {
    it(`--acquisition ${acquisition}: two rounds to the end, each within the click budget`, async () => {
      const out = join(base, acquisition);
      const r = await runCli([...ARGS, '--acquisition', acquisition, '--out', out], { timeoutMs: 300_000 });
      expect(r.code, r.output).toBe(0);
      expect(r.output).toContain(`[round 2/2] select (${acquisition})`);
      expect(r.output).toMatch(/round {2}clicks {2}total clicks {2}stage-1 mIoU {2}stage-2 mIoU\n\s+1 .*\n\s+2 /);
      const seen = new Set<string>();
      const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
      for (const round of [1, 2]) {
        const labels = JSON.parse(readFileSync(join(out, 'labels', `round-${round}.json`), 'utf8')) as Label[];
        expect(labels.length).toBeGreaterThan(0);
        const clicks = labels.reduce((s, l) => s + l.clicks, 0);
        expect(clicks, `round ${round}`).toBeGreaterThanOrEqual(BUDGET);
        expect(clicks - labels.at(-1)!.clicks, `round ${round}: clicks before its last region`).toBeLessThan(BUDGET);
        expect((metrics.rounds ?? metrics).find((m: { round: number }) => m.round === round).clicks).toBe(clicks);
        for (const l of labels) {
          const key = `${l.image}/${l.region}`;
          expect(seen.has(key), `region ${key} labelled twice`).toBe(false);
          seen.add(key);
        }
      }
      expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toMatchObject({ acquisition, baldPasses: 8, knnK: 5 });
    });
  }

  it('--bald-passes 1 is refused with the reason, and nothing is written', async () => {
    const out = join(base, 'one-pass');
    const r = await runCli([...ARGS, '--acquisition', 'bald', '--bald-passes', '1', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.output).toContain('--bald-passes must be an integer >= 2 (one pass has no mutual information to measure), got 1');
    expect(existsSync(out)).toBe(false);
  });
});
