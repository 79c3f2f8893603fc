// End to end: a short run of the whole method writes its run directory, and a run killed in the
// middle of stage 1 and resumed ends with the same labelled set (and the same metrics) as an
// uninterrupted run with the same seed.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/al/config.js';
import { runActiveLearning } from '../../src/run/rounds.js';
import { HaltError, StoppedError } from '../../src/run/trainer.js';
import { useEngine } from '../helpers.js';

useEngine();

const base = mkdtempSync(join(tmpdir(), 'alseg-e2e-'));

function config(out: string): RunConfig {
  return {
    ...DEFAULT_CONFIG,
    root: join(base, 'data'),
    synthetic: { train: 6, val: 2, height: 64, width: 128 },
    rounds: 2,
    budget: 20,
    iterations: 5,
    stage2Iterations: 3,
    batch: 2,
    crop: 48,
    checkpointEvery: 2,
    visualise: 1,
    out: join(base, out),
  };
}

describe('alseg train, end to end', () => {
  it('a short run writes the run directory; a killed and resumed run ends with the same labelled set', async () => {
    const a = await runActiveLearning(config('a'));
    expect(a.rounds).toHaveLength(2);
    for (const f of ['config.json', 'progress.json', 'labels/round-1.json', 'labels/round-2.json', 'metrics.csv', 'metrics.json', 'miou-vs-clicks.svg', 'miou-vs-clicks.png', 'checkpoints/round-2-stage1.safetensors']) {
      expect(existsSync(join(a.dir, f)), f).toBe(true);
    }
    expect(readFileSync(join(a.dir, 'metrics.csv'), 'utf8').trim().split('\n')).toHaveLength(3);
    expect(a.rounds[1].totalClicks).toBeGreaterThanOrEqual(2 * 20);
    for (const r of a.rounds) expect(r.stage1.miou).toBeGreaterThanOrEqual(0);

    // Killed at iteration 3 of round 2's stage 1 (after the checkpoint at 2), then resumed.
    const cfgB = config('b');
    await expect(runActiveLearning(cfgB, { halt: { round: 2, stage: 'stage1', iteration: 3 } })).rejects.toThrow(HaltError);
    await expect(runActiveLearning(cfgB)).rejects.toThrow(/--resume/);
    const b = await runActiveLearning(cfgB, { resume: true });

    const key = (r: { image: number; region: number; mask: number; round: number }) => `${r.round}:${r.image}:${r.region}:${r.mask}`;
    expect(b.labelled.map(key)).toEqual(a.labelled.map(key));
    expect(new Set(b.labelled.map((r) => `${r.image}:${r.region}`)).size).toBe(b.labelled.length);
    expect(b.rounds.map((r) => r.stage1.miou)).toEqual(a.rounds.map((r) => r.stage1.miou));
    // Clicks per round and cumulative, also for the rounds replayed from the run directory.
    expect(b.rounds.map((r) => [r.clicks, r.totalClicks])).toEqual(a.rounds.map((r) => [r.clicks, r.totalClicks]));
    expect(a.rounds[1].totalClicks).toBe(a.rounds[0].clicks + a.rounds[1].clicks);
    expect(b.rounds.map((r) => r.stage2?.miou)).toEqual(a.rounds.map((r) => r.stage2?.miou));

    // A graceful stop (Ctrl-C) in round 1's stage 2 checkpoints the finished iteration; resuming loses nothing.
    const cfgC = config('c');
    let iterations = 0;
    await expect(
      runActiveLearning(cfgC, { stopRequested: () => ++iterations === 6, onEvent: () => undefined }),
    ).rejects.toThrow(StoppedError);
    const c = await runActiveLearning(cfgC, { resume: true });
    expect(c.labelled.map(key)).toEqual(a.labelled.map(key));
    expect(c.rounds.map((r) => r.stage2?.miou)).toEqual(a.rounds.map((r) => r.stage2?.miou));

    // Gradient accumulation over micro-batches of two images trains too (the path taken when a batch
    // would exceed the adapter's binding limits).
    const d = await runActiveLearning({ ...config('d'), rounds: 1, batch: 4 }, { maxMicroBatch: 2 });
    expect(d.rounds).toHaveLength(1);
    expect(d.labelled.map(key)).toEqual(a.labelled.filter((r) => r.round === 1).map(key));
    expect(Number.isFinite(d.rounds[0].stage1.miou)).toBe(true);

    // A resume with other settings is refused.
    await expect(runActiveLearning({ ...cfgB, budget: 99 }, { resume: true })).rejects.toThrow(/other settings/);
  });
});
