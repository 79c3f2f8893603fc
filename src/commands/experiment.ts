// `alseg experiment <grid>`: runs a named grid of train runs and regenerates docs/results.md.
import type { CommandModule } from 'yargs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { RunConfig } from '../al/config.js';
import { GRIDS, pendingRuns, prepareRuns, runGrid, runName, type GridPlace } from '../experiments/experiment.js';
import { runJobs } from '../experiments/jobs.js';
import { writeResultsReport } from '../experiments/results-report.js';
import { destroyEngine, initEngine } from '../engine/runtime.js';
import { formatDuration } from './progress.js';

interface Args {
  grid: string;
  shard: string;
  root: string;
  dir: string;
  docs: string;
  jobs: number;
  'job-threads': number;
  only?: string;
  rounds?: number;
  iterations?: number;
  'stage2-iterations'?: number;
  budget?: number;
}

export const experimentCommand: CommandModule<object, Args> = {
  command: 'experiment <grid>',
  describe: `run a grid of train runs (${Object.keys(GRIDS).join(', ')}) and write docs/results.md; "report" only rewrites the report`,
  builder: (y) =>
    y
      .positional('grid', { choices: [...Object.keys(GRIDS), 'report'], describe: 'which grid' })
      .option('shard', { type: 'string', default: '0/1', describe: 'i/n: run only the runs with index = i mod n (split a grid across machines)' })
      .option('root', { type: 'string', default: 'data/synthetic', describe: 'synthetic dataset folder of the small-pool grids (the paper-regime grids use data/synthetic-paper)' })
      .option('dir', { type: 'string', default: 'experiments', describe: 'where run directories go' })
      .option('docs', { type: 'string', default: 'docs', describe: 'where results.md and docs/results-data go' })
      .option('jobs', { type: 'number', default: availableParallelism(), describe: 'runs side by side, each in its own process (default: the number of cores); 1 runs them one after the other in this process' })
      .option('job-threads', { type: 'number', default: 0, describe: "lavapipe threads of each process when --jobs > 1 (LP_NUM_THREADS; 0 runs inline on the process's own thread, measured fastest; an LP_NUM_THREADS you set wins)" })
      .option('rounds', { type: 'number', describe: 'a shortened pass of the grid (checks a setup): rounds of every run; its records are not the grid\'s, so --docs must name another folder' })
      .option('iterations', { type: 'number', describe: 'shortened pass: stage-1 iterations of every run' })
      .option('stage2-iterations', { type: 'number', describe: 'shortened pass: stage-2 iterations of every run' })
      .option('budget', { type: 'number', describe: 'shortened pass: clicks per round of every run' })
      .option('only', { type: 'string', describe: 'run only the run of this name (what each process of --jobs runs); the report is left to the caller' }) as never,
  handler: async (argv) => {
    if (argv.grid !== 'report') {
      const m = /^(\d+)\/(\d+)$/.exec(argv.shard);
      if (!m || Number(m[1]) >= Number(m[2])) throw new Error(`--shard ${argv.shard}: expected i/n with 0 <= i < n`);
      if (!Number.isInteger(argv.jobs) || argv.jobs < 1) throw new Error(`--jobs ${argv.jobs}: expected a whole number >= 1`);
      const shard: [number, number] = [Number(m[1]), Number(m[2])];
      const overrides = shortenedPass(argv);
      if (overrides && resolve(argv.docs) === resolve('docs')) throw new Error(`--rounds/--iterations/--stage2-iterations/--budget shorten every run, so the records are not the grid's: give --docs another folder than docs`);
      const place: GridPlace = { root: argv.root, experimentsDir: argv.dir, docsDir: argv.docs, overrides };
      const pending = pendingRuns(argv.grid, argv.docs, shard).filter((r) => argv.only === undefined || runName(r) === argv.only);
      if (argv.only !== undefined && !GRIDS[argv.grid]!.runs().some((r) => runName(r) === argv.only)) {
        throw new Error(`--only ${argv.only}: no run of that name in ${argv.grid} (its runs: ${GRIDS[argv.grid]!.runs().map(runName).join(', ')})`);
      }
      const jobs = argv.only !== undefined ? 1 : Math.min(argv.jobs, pending.length);
      if (jobs > 1) await runInProcesses(argv, place, pending, jobs);
      else await runHere(argv, place, shard);
      if (argv.only !== undefined) return;
    }
    console.log(`wrote ${await writeResultsReport(argv.docs)}`);
  },
};

/** The grid's pending runs one after the other in this process, lavapipe with its default threads. */
async function runHere(argv: Args, place: GridPlace, shard: [number, number]): Promise<void> {
  const e = await initEngine();
  const adapter = `${e.summary.description} (${e.summary.backend})`;
  const t0 = performance.now();
  try {
    const ran = await runGrid(argv.grid, {
      ...place,
      shard,
      only: argv.only,
      adapter,
      onRun: (run, k, todo) => {
        const elapsed = (performance.now() - t0) / 1000;
        const eta = k > 0 ? `, ETA ${formatDuration((elapsed / k) * (todo - k))}` : '';
        console.log(`[${argv.grid} ${k + 1}/${todo} to do] ${runName(run)}  (${formatDuration(elapsed)} so far${eta})`);
      },
      onEvent: (_run, ev) => {
        if (ev.kind === 'phase' && ev.phase === 'reused') console.log(`    reused: the same configuration as ${ev.detail}, finished (the engine is deterministic)`);
        if (ev.kind === 'round') console.log(`    round ${ev.metrics.round}: ${ev.metrics.totalClicks} clicks, mIoU stage 1 ${(100 * ev.metrics.stage1.miou).toFixed(1)}, stage 2 ${ev.metrics.stage2 ? (100 * ev.metrics.stage2.miou).toFixed(1) : '-'}`);
      },
    });
    const s = (performance.now() - t0) / 1000;
    console.log(`${ran} run(s) done in ${formatDuration(s)}${ran > 0 ? `, ${((ran / s) * 3600).toFixed(2)} runs per hour` : ''}`);
  } finally {
    await destroyEngine();
  }
}

/** The pending runs in `jobs` worker processes (jobs.ts), after what they share is made once here. */
async function runInProcesses(argv: Args, place: GridPlace, pending: ReturnType<typeof pendingRuns>, jobs: number): Promise<void> {
  const t0 = performance.now();
  console.log(`[${argv.grid}] ${pending.length} run(s) to do, ${jobs} side by side (one process each, LP_NUM_THREADS=${process.env.LP_NUM_THREADS ?? argv['job-threads']})`);
  await initEngine();
  try {
    await prepareRuns(argv.grid, pending, place, (text) => console.log(`    preparing: ${text}`));
  } finally {
    await destroyEngine();
  }
  const failed = await runJobs({
    ...place,
    grid: argv.grid,
    runs: pending,
    jobs,
    command: [process.execPath, process.argv[1]!],
    extraArgs: (['rounds', 'iterations', 'stage2-iterations', 'budget'] as const).flatMap((k) => (argv[k] === undefined ? [] : [`--${k}`, String(argv[k])])),
    threadsPerJob: argv['job-threads'],
    onEvent: (e) => {
      const name = runName(e.run);
      if (e.kind === 'start') console.log(`[${argv.grid}] start ${name}  (${e.finished}/${e.todo} done, ${formatDuration((performance.now() - t0) / 1000)} so far)`);
      else if (e.kind === 'line') {
        if (/^\s+(round \d|reused)|^error/.test(e.text!)) console.log(`  ${name}: ${e.text!.trim()}`);
      } else if (e.kind === 'done') console.log(`[${argv.grid}] done ${name}  (${e.finished}/${e.todo}, ${e.runsPerHour.toFixed(2)} runs per hour, ETA ${formatDuration(e.etaSeconds)})`);
      else console.log(`[${argv.grid}] FAILED ${name}: ${e.text}`);
    },
  });
  const s = (performance.now() - t0) / 1000;
  const done = pending.length - failed.length;
  console.log(`${done} run(s) done in ${formatDuration(s)}, ${((done / s) * 3600).toFixed(2)} runs per hour with ${jobs} processes`);
  if (failed.length) throw new Error(`${failed.length} run(s) failed: ${failed.map(runName).join(', ')} (rerun the same command to retry them; finished runs are kept)`);
}

/** The settings a shortened pass gives every run, or undefined for the grid as defined. */
function shortenedPass(argv: Args): Partial<RunConfig> | undefined {
  const o: Partial<RunConfig> = {};
  if (argv.rounds !== undefined) o.rounds = argv.rounds;
  if (argv.iterations !== undefined) o.iterations = argv.iterations;
  if (argv['stage2-iterations'] !== undefined) o.stage2Iterations = argv['stage2-iterations'];
  if (argv.budget !== undefined) o.budget = argv.budget;
  return Object.keys(o).length ? o : undefined;
}
