// `alseg experiment <grid> --jobs 2` as a user types it: a shortened pass of three table-2 runs in two
// worker processes over one record directory. Every run is recorded once, with the result a run in
// one process gives (the engine is deterministic), and the command reports its runs per hour.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli-build.js';

const SHORT = ['--rounds', '1', '--iterations', '2', '--stage2-iterations', '2', '--budget', '20', '--shard', '0/5', '--shard-only'];

describe('experiment --jobs', () => {
  it('runs a grid in two processes, records each run once, and matches a run made alone', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'alseg-jobs-'));
    const out = runCli(['experiment', 'table2', '--jobs', '2', '--root', 'data', '--dir', 'exp', '--docs', 'docs2', ...SHORT], cwd);
    expect(out).toMatch(/3 run\(s\) to do, 2 side by side \(one process each, LP_NUM_THREADS=0\)/);
    expect(out).toMatch(/3 run\(s\) done in .*, \d+\.\d\d runs per hour with 2 processes/);
    const records = readdirSync(join(cwd, 'docs2/results-data/table2')).sort();
    // Shard 0/5 of table 2's 15 runs: indices 0, 5, 10 (rows (a) seed 0, (b) seed 2, (d) seed 1).
    expect(records).toEqual(['a-MP-PP-loc-exp-seed0.json', 'b-MP-PP-loc-seed2.json', 'd-MP-seed1.json']);
    for (const f of records) expect(out.match(new RegExp(`done ${f.replace('.json', '')}`, 'g'))).toHaveLength(1);

    // The same run alone, in this process's way (--jobs 1, default lavapipe threads), elsewhere.
    runCli(['experiment', 'table2', '--jobs', '1', '--only', 'd-MP-seed1', '--root', 'data', '--dir', 'exp-alone', '--docs', 'docs-alone', ...SHORT], cwd);
    const read = (docs: string) => JSON.parse(readFileSync(join(cwd, docs, 'results-data/table2/d-MP-seed1.json'), 'utf8')).rounds;
    expect(read('docs2')).toEqual(read('docs-alone').map((r: { seconds: number }) => ({ ...r, seconds: expect.any(Number) })));

    // Nothing left: a rerun does nothing.
    expect(runCli(['experiment', 'table2', '--jobs', '2', '--root', 'data', '--dir', 'exp', '--docs', 'docs2', ...SHORT], cwd)).toMatch(/0 run\(s\) done/);
    // Four toy runs in child processes: ~60 s on a quiet machine, minutes where other work shares the cores.
  }, 900_000);

  it('refuses a shortened pass that would write into the grid records of docs/', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'alseg-jobs-'));
    expect(() => runCli(['experiment', 'table2', '--iterations', '2'], cwd)).toThrow(/give --docs another folder than docs/);
    expect(() => runCli(['experiment', 'table2', '--only', 'no-such-run', '--docs', 'x'], cwd)).toThrow(/--only no-such-run: no run of that name in table2/);
  });
});
