// Where a grid stands, from a hand-made record directory: done, running, stalled, failed and waiting
// runs, and the time left from the recorded run times (src/experiments/grid-status.ts), as
// `experiment status` prints it (src/commands/experiment-status.ts).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/al/config.js';
import type { Claim } from '../../src/experiments/claims.js';
import { GRIDS, runName, type ExperimentRecord } from '../../src/experiments/experiment.js';
import { gridStatus } from '../../src/experiments/grid-status.js';
import { statusLines } from '../../src/commands/experiment-status.js';

const TIMES = { heartbeatMs: 60_000, timeoutMs: 600_000 };
const NOW = Date.parse('2026-12-08T12:00:00Z');
const iso = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();

function directory(): string {
  const docs = mkdtempSync(join(tmpdir(), 'alseg-status-'));
  const dir = join(docs, 'results-data', 'table2');
  mkdirSync(dir, { recursive: true });
  const runs = GRIDS.table2.runs();
  const m = { miou: 0.3, miouAllClasses: 0.3, pixelAccuracy: 0.5, perClass: [] };
  const record = (k: number, wallSeconds: number, extra: Partial<ExperimentRecord> = {}): void => {
    const r = runs[k];
    const rec: ExperimentRecord = { grid: 'table2', method: r.method, seed: r.seed, config: DEFAULT_CONFIG, adapter: 'test', wallSeconds, resumed: false, rounds: [{ round: 1, clicks: 80, totalClicks: 80, regions: 9, multiClassShare: 0.5, stage1: m, stage2: m, pseudo: null, seconds: wallSeconds }], ...extra };
    writeFileSync(join(dir, `${runName(r)}.json`), JSON.stringify(rec));
  };
  const claim = (k: number, c: Partial<Claim>): void => writeFileSync(join(dir, `${runName(runs[k])}.claim`), JSON.stringify({ token: `t${k}`, host: 'gpu-3', pid: 4242, start: iso(50), heartbeat: iso(20), ...c }));
  record(0, 100);
  record(1, 200);
  // A record copied from another grid cost nothing: it does not count in the mean.
  record(2, 0, { reusedFrom: 'scale/Mul-pixbal-seed2' });
  claim(3, { job: 'slurm 77_1', round: 3, phase: 'stage 1' });
  claim(4, { host: 'gpu-9', heartbeat: iso(700) });
  claim(5, { failed: { at: iso(10), error: 'out of GPU memory\nat ...' } });
  return docs;
}

describe('experiment status', () => {
  it('sorts the runs by what the records and claims say, and estimates the time left', () => {
    const s = gridStatus('table2', directory(), TIMES, NOW);
    const count = (state: string) => s.runs.filter((r) => r.state === state).length;
    expect([count('done'), count('running'), count('stalled'), count('failed'), count('waiting')]).toEqual([3, 1, 1, 1, 9]);
    expect(s.meanRunSeconds).toBe(150);
    expect(s.workers).toBe(1);
    // The running run has 150 - 50 s left; the 9 waiting and the stalled one a mean each; one worker.
    expect(s.secondsLeft).toBe(100 + 10 * 150);
  });

  it('prints each running run with its worker, since when and its round', () => {
    const lines = statusLines('table2', directory(), TIMES, NOW);
    expect(lines[0]).toMatch(/^table2: 15 runs: 3 done, 1 running, 1 stalled, 9 waiting, 1 failed {2}\(records in .*results-data\/table2\)$/);
    expect(lines).toContain('running:');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}b-MP-PP-loc-seed0 +gpu-3 pid 4242 \(slurm 77_1\) since 2026-12-08T11:59:10Z \(50s\), round 3 stage 1, heartbeat 20s ago$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}b-MP-PP-loc-seed1 +gpu-9 pid 4242 since .*, last heartbeat 11m40s ago$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}b-MP-PP-loc-seed2 +gpu-3 pid 4242 at 2026-12-08T11:59:50Z: out of GPU memory$/));
    expect(lines).toContainEqual(expect.stringMatching(/^waiting: c-MP-PP-seed0, c-MP-PP-seed1, .*e-PP-seed2$/));
    expect(lines[lines.length - 1]).toBe('time left: about 26m40s with 1 worker(s) at work (mean run 2m30s over 2 recorded run(s))');
  });
});
