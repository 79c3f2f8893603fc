// Workers over one shared record directory, as a user starts them: three `experiment` commands on
// a toy pass of three table-2 runs (one in-process worker per shard, the third a --jobs 2 pool
// started a little later). The worker holding run A is SIGKILLed mid-run (once its claim says
// stage 1 of round 1 began); `experiment status` shows it running under that worker; after the
// short claim timeout a surviving worker takes A over and resumes it from the killed worker's run
// directory. Every run is recorded exactly once, and nothing but the records is left. And a worker
// stopped by SIGTERM (a scheduler's time limit) checkpoints, releases its run at once and exits 130.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli as runCliSync } from '../cli-build.js';
import { runCli, type CliResult } from '../cli-process.js';

const RUNS = ['a-MP-PP-loc-exp-seed0', 'a-MP-PP-loc-exp-seed1', 'a-MP-PP-loc-exp-seed2']; // table 2, indices 0, 1, 2
const [A, B, C] = RUNS;
// Generous next to the heartbeat: a live worker on a loaded machine must not look dead.
const TIMEOUT_S = 20;
// The dataset and its superpixels are made once for both tests (--prepare, as docs/cluster.md says).
const DATA = join(mkdtempSync(join(tmpdir(), 'alseg-workers-data-')), 'data');
const COMMON = ['--only', RUNS.join(','), '--root', DATA, '--dir', 'exp', '--docs', 'shared', '--rounds', '1', '--iterations', '2', '--stage2-iterations', '2', '--budget', '20'];
const CLAIMS = ['--heartbeat', '2', '--claim-timeout', String(TIMEOUT_S)];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const claimOf = (cwd: string, run: string): { pid: number; round?: number; phase?: string } | null => {
  const file = join(cwd, 'shared/results-data/table2', `${run}.claim`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { pid: number; round?: number; phase?: string };
  } catch {
    return null;
  }
};
async function until<T>(what: string, f: () => T | null | undefined | false, ms = 120_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`waited ${ms} ms for ${what}`);
    await sleep(100);
  }
}

describe('experiment workers over one record directory', () => {
  beforeAll(() => {
    // What the runs share, made once before the workers start.
    expect(runCliSync(['experiment', 'table2', '--prepare', ...COMMON], join(DATA, '..'))).toMatch(/prepared what its 3 run\(s\) share/);
  }, 120_000);

  it('do every run once while one is SIGKILLed mid-run and its run is taken over after the timeout', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'alseg-workers-'));

    const children: ChildProcess[] = [];
    const start = (args: string[]) => runCli(['experiment', 'table2', ...args, ...COMMON, ...CLAIMS], { cwd, timeoutMs: 300_000, onSpawn: (c) => children.push(c) });
    const w0 = start(['--shard', '0/3', '--jobs', '1']);
    const w1 = start(['--shard', '1/3', '--jobs', '1']);
    // The third worker comes later, once the first two have claimed their shards' runs.
    await until('A and B claimed', () => claimOf(cwd, A) && claimOf(cwd, B));
    const w2 = start(['--shard', '2/3', '--jobs', '2']);

    // Kill A's worker once stage 1 of round 1 began: its selection is on disk, its training is not.
    const claim = await until('A in stage 1', () => {
      const c = claimOf(cwd, A);
      return c && c.round === 1 && /stage ?1/.test(c.phase ?? '') ? c : null;
    });
    expect(claim.pid).toBe(children[0].pid);
    children[0].kill('SIGKILL');

    // Status while the others work: A still shows as running under the killed worker (its timeout is not up).
    const status = runCliSync(['experiment', 'status', 'table2', '--docs', 'shared', ...CLAIMS], cwd);
    expect(status).toMatch(new RegExp(`^  ${A}\\s+\\S+ pid ${claim.pid} since \\S+ \\(\\d+s\\), round 1 stage ?1, heartbeat \\d+s ago$`, 'm'));
    const counts = /^table2: 15 runs: (\d+) done, (\d+) running, (\d+) stalled, (\d+) waiting, (\d+) failed/m.exec(status)!;
    expect(counts).not.toBeNull();
    expect(Number(counts[2])).toBeGreaterThanOrEqual(1);
    // The 12 runs outside --only wait (nobody takes them); with A, B and C that is all 15.
    expect(counts.slice(1).reduce((s, n) => s + Number(n), 0)).toBe(15);

    const [r0, r1, r2] = (await Promise.all([w0, w1, w2])) as CliResult[];
    expect(r0.signal).toBe('SIGKILL');
    expect(r1.code, r1.output).toBe(0);
    expect(r2.code, r2.output).toBe(0);

    // A taken over once, by a survivor, from the killed worker, after the timeout.
    const takeovers = [...(r1.output + r2.output).matchAll(/taking over (\S+): claimed by \S+ pid (\d+) .*no heartbeat for (?:(\d+)m)?(\d+)s \(timeout (\d+)s\)/g)];
    expect(takeovers.map((m) => [m[1], Number(m[2]), Number(m[5])])).toEqual([[A, claim.pid, TIMEOUT_S]]);
    expect(60 * Number(takeovers[0][3] ?? 0) + Number(takeovers[0][4])).toBeGreaterThanOrEqual(TIMEOUT_S);

    // Each run recorded exactly once, none by the killed worker.
    const recorded = [...(r0.output + r1.output + r2.output).matchAll(/recorded (\S+) in /g)].map((m) => m[1]).sort();
    expect(recorded).toEqual(RUNS);
    expect(r0.output).not.toMatch(/recorded /);
    const dir = join(cwd, 'shared/results-data/table2');
    expect(readdirSync(dir).sort()).toEqual(RUNS.map((r) => `${r}.json`));
    const record = (run: string) => JSON.parse(readFileSync(join(dir, `${run}.json`), 'utf8')) as { resumed: boolean; rounds: unknown[] };
    // A continued the killed worker's run directory (its round-1 selection); B and C ran whole.
    expect(record(A).resumed).toBe(true);
    expect(existsSync(join(cwd, 'exp/table2', A, 'labels/round-1.json'))).toBe(true);
    expect([record(B).resumed, record(C).resumed]).toEqual([false, false]);
    for (const run of RUNS) expect(record(run).rounds).toHaveLength(1);

    const after = runCliSync(['experiment', 'status', 'table2', '--docs', 'shared', ...CLAIMS], cwd);
    expect(after).toMatch(/^table2: 15 runs: 3 done, 0 running, 0 stalled, 12 waiting, 0 failed/m);
  }, 300_000);

  it('release a run at once when stopped (SIGTERM: a time limit, preemption), and the run resumes', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'alseg-workers-'));
    // Six iterations a stage, so the stop lands inside a stage and is checkpointed there.
    const args = ['experiment', 'table2', '--jobs', '1', '--only', A, ...COMMON.slice(2), '--iterations', '6', ...CLAIMS];
    const stopped = runCli(args, { cwd, timeoutMs: 240_000 });
    await until('A in stage 1', () => /stage ?1/.test(claimOf(cwd, A)?.phase ?? '') && claimOf(cwd, A));
    const { pid } = claimOf(cwd, A)!;
    process.kill(pid, 'SIGTERM');
    const r = await stopped;
    expect(r.code, r.output).toBe(130);
    expect(r.output).toMatch(/stopped at round 1, stage\d, iteration \d+; the checkpoint holds every finished iteration: checkpointed and released; this or any worker resumes it/);
    // No claim left: nobody has to wait for the timeout; status says it waits.
    expect(claimOf(cwd, A)).toBeNull();
    expect(runCliSync(['experiment', 'status', 'table2', '--docs', 'shared', ...CLAIMS], cwd)).toMatch(/^table2: 15 runs: 0 done, 0 running, 0 stalled, 15 waiting, 0 failed/m);
    const again = await runCli(args, { cwd, timeoutMs: 240_000 });
    expect(again.code, again.output).toBe(0);
    expect(again.output).toMatch(new RegExp(`recorded ${A} in `));
    expect(JSON.parse(readFileSync(join(cwd, 'shared/results-data/table2', `${A}.json`), 'utf8')).resumed).toBe(true);
  }, 300_000);
});
