// `node dist/cli.js train --stage1-loss infimum|rc` as a user runs it: each partial-label baseline
// trains stage 1 to the end of a short run with finite losses, and the run records its loss.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli-process.js';

const base = mkdtempSync(join(tmpdir(), 'alseg-stage1-loss-'));

async function train(loss: string) {
  const out = join(base, loss);
  const r = await runCli([
    'train', '--stage1-loss', loss, '--rounds', '1', '--iterations', '3', '--stage2-iterations', '2',
    '--synthetic-size', '8x3@128x256', '--crop', '32', '--batch', '2', '--budget', '20',
    '--root', join(base, 'data'), '--out', out, '--visualise', '0', '--val-limit', '1',
  ], { timeoutMs: 300_000 });
  expect(r.code, r.output).toBe(0);
  expect(r.output).toContain(`stage-1 loss ${loss} (CE + ${loss}, no PP)`);
  const json = (f: string) => JSON.parse(readFileSync(join(out, f), 'utf8'));
  expect(json('config.json').stage1Loss).toBe(loss);
  const stage1: [number, number][] = json('training/round-1-stage1.json').losses;
  const stage2: [number, number][] = json('training/round-1-stage2.json').losses;
  expect(stage1.map(([i]) => i)).toEqual([1, 3]);
  for (const [, l] of [...stage1, ...stage2]) expect(Number.isFinite(l) && l > 0, `loss ${l}`).toBe(true);
  const metrics = json('metrics.json');
  expect(Number.isFinite(metrics.rounds[0].stage1.miou)).toBe(true);
  return stage1;
}

describe('alseg train --stage1-loss', () => {
  it('infimum and rc each run a round to the end with finite losses, and train on different losses', async () => {
    const infimum = await train('infimum');
    const rc = await train('rc');
    // Same seed, same first batch and initial weights: only the loss function differs at iteration 1.
    expect(rc[0][1]).not.toBe(infimum[0][1]);
  });
});
