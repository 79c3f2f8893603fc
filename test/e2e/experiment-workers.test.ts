// Workers over one shared record directory, as a user starts them: three `experiment` commands on
// a toy pass of three table-2 runs (one in-process worker per shard, the third a --jobs 2 pool
// started a little later). The worker holding run A is SIGKILLed mid-run (once its claim says
// stage 1 of round 1 began); `experiment status` shows it running under that worker; after the
// short claim timeout a surviving worker takes A over and resumes it from the killed worker's run
// directory. Every run is recorded exactly once, and nothing but the records is left.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as runCliSync } from '../cli-build.js';
import { runCli, type CliResult } from '../cli-process.js';

const RUNS = ['a-MP-PP-loc-exp-seed0', 'a-MP-PP-loc-exp-seed1', 'a-MP-PP-loc-exp-seed2']; // table 2, indices 0, 1, 2
const [A, B, C] = RUNS;
const TIMEOUT_S = 10;
const COMMON = ['--only', RUNS.join(','), '--root', 'data', '--dir', 'exp', '--docs', 'shared', '--rounds', '1', '--iterations', '2', '--stage2-iterations', '2', '--budget', '20'];
const CLAIMS = ['--heartbeat', '1', '--claim-timeout', String(TIMEOUT_S)];

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
  it('do every run once while one is SIGKILLed mid-run and its run is taken over after the timeout', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'alseg-workers-'));
    // What the runs share, made once before the workers start (docs/cluster.md).
    expect(runCliSync(['experiment', 'table2', '--prepare', ...COMMON], cwd)).toMatch(/prepared what its 3 run\(s\) share/);

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
    const takeovers = [...(r1.output + r2.output).matchAll(/taking over (\S+): claimed by \S+ pid (\d+) .*no heartbeat for (\d+)s \(timeout (\d+)s\)/g)];
    expect(takeovers.map((m) => [m[1], Number(m[2]), Number(m[4])])).toEqual([[A, claim.pid, TIMEOUT_S]]);
    expect(Number(takeovers[0][3])).toBeGreaterThanOrEqual(TIMEOUT_S);

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
});
