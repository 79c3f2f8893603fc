// The loop with a human oracle (--oracle human), in process: it stops after selection with the
// round's queries written, refuses to go on until every query is answered, then trains on the
// answers with clicks counted as the simulated oracle counts them; a folder without labels refuses
// the simulated oracle.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type RunConfig } from '../../../src/al/config.js';
import { AwaitingAnswersError } from '../../../src/run/human/ask.js';
import { readQueries, writeAnswers, type AnswerFile } from '../../../src/run/human/queries.js';
import { writeGreyPng } from '../../../src/data/png.js';
import { runActiveLearning } from '../../../src/run/rounds.js';
import { useEngine } from '../../helpers.js';
import { tempDir } from '../../data/fixtures.js';
import { writeImageFolder } from './fixtures.js';

useEngine();

const base = tempDir('human-loop');
const root = writeImageFolder(join(base, 'imgs'), { count: 4, val: 1 });

function config(out: string, extra: Partial<RunConfig> = {}): RunConfig {
  return {
    ...DEFAULT_CONFIG, dataset: 'folder', root, oracle: 'human', rounds: 2, budget: 8, iterations: 3, stage2Iterations: 2,
    batch: 2, crop: 48, checkpointEvery: 2, visualise: 0, out: join(base, out), ...extra,
  };
}

async function awaiting(p: Promise<unknown>): Promise<AwaitingAnswersError> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(AwaitingAnswersError);
  return e as AwaitingAnswersError;
}

describe('active learning with a human oracle', () => {
  it('stops for answers, resumes on them, counts clicks per class', async () => {
    await expect(runActiveLearning(config('sim', { oracle: 'simulated' }))).rejects.toThrow(/has no labels for the simulated oracle to read; answer the queries yourself with --oracle human/);

    const cfg = config('run');
    const first = await awaiting(runActiveLearning(cfg));
    expect([first.round, first.answered]).toEqual([1, 0]);
    const q = readQueries(cfg.out, 1);
    expect(q.mode).toBe('multi');
    expect(q.classes.map((c) => c.name)).toEqual(['sky', 'road', 'vegetation', 'car']);
    // Round 1 assumes a click per query (nothing answered yet), so the budget buys 8 queries.
    expect(q.queries).toHaveLength(8);
    for (const x of q.queries) {
      expect(existsSync(join(cfg.out, 'queries', 'round-1', `q${x.id}.png`))).toBe(true);
      expect(existsSync(join(cfg.out, 'queries', 'round-1', `q${x.id}-context.png`))).toBe(true);
    }

    // Half answered: still waiting, and the queries are not drawn again.
    const classesOf = (id: number) => (id === 3 ? [] : id % 2 ? [0, 1, 3] : [1]);
    const answers = (ids: number[]): AnswerFile => ({
      version: 1, round: 1, order: ids,
      answers: Object.fromEntries(ids.map((id) => [String(id), { classes: classesOf(id), unsure: id === 3, seconds: 2, answeredAt: '' }])),
    });
    writeAnswers(cfg.out, answers([0, 1, 2, 3]));
    const half = await awaiting(runActiveLearning(cfg, { resume: true }));
    expect([half.round, half.answered, half.total]).toEqual([1, 4, 8]);
    expect(readQueries(cfg.out, 1)).toEqual(q);

    writeAnswers(cfg.out, answers([0, 1, 2, 3, 4, 5, 6, 7]));
    const second = await awaiting(runActiveLearning(cfg, { resume: true }));
    expect(second.round).toBe(2);
    const labels = JSON.parse(readFileSync(join(cfg.out, 'labels', 'round-1.json'), 'utf8')) as { region: number; image: number; mask: number; clicks: number }[];
    expect(labels.map((r) => [r.image, r.region])).toEqual(q.queries.map((x) => [x.image, x.region]));
    expect(labels.map((r) => r.clicks)).toEqual([1, 3, 1, 0, 1, 3, 1, 3]);
    expect(labels.map((r) => r.mask)).toEqual([2, 11, 2, 0, 2, 11, 2, 11]);
    const metrics = JSON.parse(readFileSync(join(cfg.out, 'metrics.json'), 'utf8')) as { rounds: { clicks: number; stage1: { miou: number } }[] };
    expect(metrics.rounds[0]!.clicks).toBe(13);
    // The folder has a labelled val/ split, so round 1 was evaluated.
    expect(Number.isFinite(metrics.rounds[0]!.stage1.miou)).toBe(true);
    // Round 2 expects the mean clicks of round 1's answered queries (13 / 7) per query: 5 buy 8 clicks.
    expect(readQueries(cfg.out, 2).queries).toHaveLength(5);
  });

  it('checks the folder before training: a corrupt image and a bad val label are both named', async () => {
    const bad = writeImageFolder(join(base, 'bad'), { count: 2, height: 32, width: 32, val: 1 });
    writeFileSync(join(bad, 'street-1.png'), 'not a png');
    writeGreyPng(join(bad, 'val', 'labels', 'val-0.png'), { width: 32, height: 32, data: new Uint8Array(32 * 32).fill(9) });
    const out = join(base, 'bad-run');
    const err = await runActiveLearning({ ...config('bad-run'), root: bad }).then(() => null, (e: unknown) => e as Error);
    expect(err?.message).toContain(`${join(bad, 'street-1.png')}: corrupt PNG`);
    expect(err?.message).toContain(`${join(bad, 'val', 'labels', 'val-0.png')}: label value 9 at (x=0, y=0) is outside the mapping`);
    expect(existsSync(join(out, 'config.json'))).toBe(false);
  });
});
