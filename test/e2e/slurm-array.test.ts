// A grid on a real (single-node) Slurm cluster, submitted the way docs/cluster.md says: the prepare
// job, then a 2-task array of scripts/cluster/grid.sbatch depending on it, then the report job
// depending on the array. Each task is a worker (--shard auto from the array's variables); the
// report merges both tasks' records. Toy pass of two table-2 runs. Needs Debian's slurm-wlm and munge
// and root (.ci/run installs them); elsewhere it skips and says why.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../cli-process.js';
import { slurmUnavailable, startSlurm, type SlurmCluster } from '../slurm-cluster.js';

const RUNS = ['a-MP-PP-loc-exp-seed0', 'a-MP-PP-loc-exp-seed1']; // table 2, indices 0 and 1: shards 0/2 and 1/2
const reason = slurmUnavailable();
if (reason) console.warn(`test/e2e/slurm-array.test.ts skipped: ${reason}`);

describe('a grid as a Slurm job array', () => {
  let cluster: SlurmCluster | undefined;
  afterAll(() => cluster?.stop());

  it.skipIf(reason !== null)(`runs a 2-task array of the docs' sbatch script and reports both tasks' records${reason ? ` (skipped: ${reason})` : ''}`, async () => {
    cluster = startSlurm();
    const { dir, run } = cluster;
    const work = join(dir, 'work');
    const options = ['table2', '--only', RUNS.join(','), '--root', join(work, 'data'), '--dir', join(work, 'experiments'), '--docs', join(work, 'docs'), '--rounds', '1', '--iterations', '2', '--stage2-iterations', '2', '--budget', '20'];
    // As in docs/cluster.md, from the checkout; the test adds where the logs go and one CPU per
    // task (the node has the machine's CPUs, two here, and both tasks must fit at once).
    const sbatch = (args: string[]) => run('sbatch', ['--parsable', '--kill-on-invalid-dep=yes', ...args], REPO).trim();
    const prep = sbatch([`--output=${dir}/prepare-%j.out`, 'scripts/cluster/prepare.sbatch', ...options]);
    const grid = sbatch([`--dependency=afterok:${prep}`, '--array=0-1', '--cpus-per-task=1', `--output=${dir}/grid-%A_%a.out`, 'scripts/cluster/grid.sbatch', ...options]);
    const report = sbatch([`--dependency=afterany:${grid}`, `--output=${dir}/report-%j.out`, '--wrap', `node dist/cli.js experiment report --docs ${join(work, 'docs')}`]);

    const logs = () => readdirSync(dir).filter((f) => f.endsWith('.out')).sort().map((f) => `--- ${f}\n${readFileSync(join(dir, f), 'utf8')}`).join('\n');
    const t0 = Date.now();
    while (run('squeue', ['-h', '-j', `${prep},${grid},${report}`]).trim() !== '') {
      if (Date.now() - t0 > 240_000) throw new Error(`jobs still queued or running after 240 s:\n${run('squeue', [])}\n${logs()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    // Every job and both array tasks completed with exit code 0.
    const states = [prep, grid, report].map((id) => run('scontrol', ['show', 'job', id])).join('\n');
    expect([...states.matchAll(/JobState=(\S+)/g)].map((m) => m[1]), logs()).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect([...states.matchAll(/ExitCode=(\S+)/g)].map((m) => m[1])).toEqual(['0:0', '0:0', '0:0', '0:0']);

    // Each task knew its shard from the array, and the two recorded each run exactly once.
    const task = (i: number) => readFileSync(join(dir, `grid-${grid}_${i}.out`), 'utf8');
    expect(task(0)).toMatch(/\[table2\] worker 0\/2 from Slurm array task 0 \(SLURM_ARRAY_TASK_ID=0, _MIN=0, _STEP=1, _COUNT=2\)/);
    expect(task(1)).toMatch(/\[table2\] worker 1\/2 from Slurm array task 1 \(SLURM_ARRAY_TASK_ID=1, _MIN=0, _STEP=1, _COUNT=2\)/);
    expect([...(task(0) + task(1)).matchAll(/recorded (\S+) in /g)].map((m) => m[1]).sort()).toEqual(RUNS);
    const records = join(work, 'docs', 'results-data', 'table2');
    expect(readdirSync(records).sort()).toEqual(RUNS.map((r) => `${r}.json`));

    // The report job merged both: one method over two seeds, and both runs listed.
    expect(readFileSync(join(dir, `report-${report}.out`), 'utf8')).toContain(`wrote ${join(work, 'docs', 'results.md')}`);
    const md = readFileSync(join(work, 'docs', 'results.md'), 'utf8');
    expect(md).toContain('2 of 15 runs recorded.');
    expect(md).toMatch(/^\| \(a\) MP\+PP\+loc\+exp \| 2 \| \d+\.\d ± \d+\.\d \|/m);
    for (const seed of [0, 1]) expect(md).toMatch(new RegExp(`^\\| \\(a\\) MP\\+PP\\+loc\\+exp \\| ${seed} \\| [\\d.]+ min \\|`, 'm'));

    cluster.stop();
    expect(cluster.alive()).toEqual([]);
  }, 300_000);
});
