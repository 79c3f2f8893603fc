// `alseg experiment <grid>`: runs a named grid of train runs and regenerates docs/results.md; any
// number of such workers (this machine's --jobs, Slurm array tasks, Kubernetes pods) may share one
// record directory (experiments/claims.ts). `experiment status <grid>` shows where a grid stands.
import type { CommandModule } from 'yargs';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { RunConfig } from '../al/config.js';
import { DEFAULT_CLAIM_TIMES, pollInterval, type Claim, type ClaimTimes } from '../experiments/claims.js';
import { GRIDS, pendingRuns, prepareRuns, recordFile, runGrid, runName, workerQueue, type ClaimEvent, type GridPlace, type WorkerRuns } from '../experiments/experiment.js';
import { gridStatus } from '../experiments/grid-status.js';
import { runJobs } from '../experiments/jobs.js';
import { nextRun } from '../experiments/run-queue.js';
import { writeResultsReport } from '../experiments/results-report.js';
import { schedulerShard } from '../experiments/scheduler-shard.js';
import { destroyEngine, initEngine } from '../engine/runtime.js';
import { StoppedError } from '../run/trainer.js';
import { statusLines } from './experiment-status.js';
import { formatDuration } from './progress.js';

interface Args {
  grid: string;
  target?: string;
  shard: string;
  shards?: number;
  'shard-only': boolean;
  root: string;
  dir: string;
  docs: string;
  jobs: number;
  'job-threads': number;
  only?: string;
  wait: boolean;
  heartbeat: number;
  'claim-timeout': number;
  prepare: boolean;
  'dry-run': boolean;
  rounds?: number;
  iterations?: number;
  'stage2-iterations'?: number;
  budget?: number;
}

export const experimentCommand: CommandModule<object, Args> = {
  command: 'experiment <grid> [target]',
  describe: `run a grid of train runs (${Object.keys(GRIDS).join(', ')}) and write docs/results.md; "report" only rewrites the report; "status <grid>" shows a grid's runs (done, running, waiting, failed) and the time left`,
  builder: (y) =>
    y
      .positional('grid', { choices: [...Object.keys(GRIDS), 'report', 'status'], describe: 'which grid' })
      .positional('target', { type: 'string', describe: 'with status: the grid to show' })
      .option('shard', {
        type: 'string',
        default: '0/1',
        describe: 'i/n: take the runs with index = i mod n first, then help with any other run no worker holds (split a grid across workers); "auto": i and n from a Slurm array task or a Kubernetes indexed Job (docs/cluster.md)',
      })
      .option('shards', { type: 'number', describe: "with --shard auto in a Kubernetes indexed Job: the Job's completions (or set ALSEG_SHARDS)" })
      .option('shard-only', { type: 'boolean', default: false, describe: "take only the shard's runs (machines that do not share the record directory)" })
      .option('root', { type: 'string', default: 'data/synthetic', describe: 'synthetic dataset folder of the small-pool grids (the paper-regime grids use data/synthetic-paper)' })
      .option('dir', { type: 'string', default: 'experiments', describe: 'where run directories go' })
      .option('docs', { type: 'string', default: 'docs', describe: 'where results.md and docs/results-data (the records, shared by every worker) go' })
      .option('jobs', { type: 'number', default: availableParallelism(), describe: 'runs side by side, each in its own process (default: the number of cores); 1 runs them one after the other in this process' })
      .option('job-threads', { type: 'number', default: 0, describe: "lavapipe threads of each process when --jobs > 1 (LP_NUM_THREADS; 0 runs inline on the process's own thread, measured fastest; an LP_NUM_THREADS you set wins)" })
      .option('heartbeat', { type: 'number', default: DEFAULT_CLAIM_TIMES.heartbeatMs / 1000, describe: 'seconds between the heartbeats a worker writes into the claims of its runs' })
      .option('claim-timeout', { type: 'number', default: DEFAULT_CLAIM_TIMES.timeoutMs / 1000, describe: "seconds without a heartbeat after which a run's claim counts as abandoned and another worker takes the run over (resuming it)" })
      .option('wait', { type: 'boolean', default: true, describe: 'when only runs other workers hold are left, wait for them and take over any that is abandoned (--no-wait: leave them and stop)' })
      .option('prepare', { type: 'boolean', default: false, describe: 'only make what the runs share (datasets, superpixels, the pretrained backbone), once before workers start' })
      .option('dry-run', { type: 'boolean', default: false, describe: "print which runs this worker would take, in its order, and where each stands; run nothing" })
      .option('rounds', { type: 'number', describe: 'a shortened pass of the grid (checks a setup): rounds of every run; its records are not the grid\'s, so --docs must name another folder' })
      .option('iterations', { type: 'number', describe: 'shortened pass: stage-1 iterations of every run' })
      .option('stage2-iterations', { type: 'number', describe: 'shortened pass: stage-2 iterations of every run' })
      .option('budget', { type: 'number', describe: 'shortened pass: clicks per round of every run' })
      .option('only', { type: 'string', describe: 'run only the runs of these names, comma-separated (one is what each process of --jobs runs); the report is left to the caller' }) as never,
  handler: async (argv) => {
    const times = claimTimes(argv);
    if (argv.grid === 'status') {
      if (argv.target === undefined || !GRIDS[argv.target]) throw new Error(`experiment status: name a grid (${Object.keys(GRIDS).join(', ')})${argv.target === undefined ? '' : `, not "${argv.target}"`}`);
      for (const line of statusLines(argv.target, argv.docs, times)) console.log(line);
      return;
    }
    if (argv.target !== undefined) throw new Error(`experiment ${argv.grid} ${argv.target}: unexpected "${argv.target}" (only "experiment status <grid>" takes a second name)`);
    if (argv.grid !== 'report') {
      const { shard, source } = parseShard(argv);
      if (!Number.isInteger(argv.jobs) || argv.jobs < 1) throw new Error(`--jobs ${argv.jobs}: expected a whole number >= 1`);
      const only = onlyRuns(argv);
      const overrides = shortenedPass(argv);
      if (overrides && resolve(argv.docs) === resolve('docs')) throw new Error(`--rounds/--iterations/--stage2-iterations/--budget shorten every run, so the records are not the grid's: give --docs another folder than docs`);
      const place: GridPlace = { root: argv.root, experimentsDir: argv.dir, docsDir: argv.docs, overrides };
      const w: WorkerRuns = { shard, help: !argv['shard-only'], only };
      if (source) console.log(`[${argv.grid}] worker ${shard[0]}/${shard[1]} from ${source}`);
      if (argv['dry-run']) return printPlan(argv.grid, argv.docs, w, times);
      const pending = pendingRuns(argv.grid, argv.docs, shard, w);
      if (argv.prepare) return prepareOnly(argv.grid, pending, place);
      const jobs = only?.length === 1 ? 1 : Math.min(argv.jobs, pending.length);
      if (jobs > 1) await runInProcesses(argv, place, w, times, pending.length, jobs);
      else await runHere(argv, place, w, times);
      if (only !== undefined) return;
    }
    console.log(`wrote ${await writeResultsReport(argv.docs)}`);
  },
};

/** --shard i/n, or auto from the scheduler's environment (with where i and n came from). */
function parseShard(argv: Args): { shard: [number, number]; source?: string } {
  if (argv.shard === 'auto') return schedulerShard(process.env, argv.shards);
  if (argv.shards !== undefined) throw new Error(`--shards ${argv.shards}: only with --shard auto (a Kubernetes indexed Job)`);
  const m = /^(\d+)\/(\d+)$/.exec(argv.shard);
  if (!m || Number(m[1]) >= Number(m[2])) throw new Error(`--shard ${argv.shard}: expected i/n with 0 <= i < n, or auto`);
  return { shard: [Number(m[1]), Number(m[2])] };
}

function claimTimes(argv: Args): ClaimTimes {
  const { heartbeat, 'claim-timeout': timeout } = argv;
  if (!(heartbeat > 0)) throw new Error(`--heartbeat ${heartbeat}: expected seconds > 0`);
  // Two missed heartbeats at least, so a busy worker is not taken for a dead one.
  if (!(timeout >= 2 * heartbeat)) throw new Error(`--claim-timeout ${timeout}: expected at least twice --heartbeat (${heartbeat} s)`);
  return { heartbeatMs: heartbeat * 1000, timeoutMs: timeout * 1000 };
}

/** --only as names, each checked against the grid. */
function onlyRuns(argv: Args): string[] | undefined {
  if (argv.only === undefined) return undefined;
  const names = GRIDS[argv.grid]!.runs().map(runName);
  const only = argv.only.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = only.filter((n) => !names.includes(n));
  if (!only.length || unknown.length) throw new Error(`--only ${unknown.join(',') || argv.only}: no run of that name in ${argv.grid} (its runs: ${names.join(', ')})`);
  return only;
}

/** --dry-run: the runs this worker considers, in its order, with where each stands now. */
function printPlan(grid: string, docsDir: string, w: WorkerRuns, times: ClaimTimes): void {
  const state = new Map(gridStatus(grid, docsDir, times).runs.map((r) => [r.name, r.state]));
  const [i, n] = w.shard ?? [0, 1];
  const all = GRIDS[grid]!.runs().map(runName);
  console.log(`[${grid}] this worker takes, in this order (its shard ${i}/${n} first${w.help ? ', then any other run no worker holds' : ' only'}):`);
  for (const q of workerQueue(grid, docsDir, w)) console.log(`  ${all.indexOf(q.name) % n === i ? 'shard' : 'help '}  ${q.name}  ${state.get(q.name)}`);
}

/** --prepare: datasets, superpixels and the paper regime's backbone, made here once. */
async function prepareOnly(grid: string, pending: ReturnType<typeof pendingRuns>, place: GridPlace): Promise<void> {
  if (!pending.length) return console.log(`[${grid}] nothing to prepare: every run is recorded`);
  await initEngine();
  try {
    await prepareRuns(grid, pending, place, (text) => console.log(`    preparing: ${text}`));
  } finally {
    await destroyEngine();
  }
  console.log(`[${grid}] prepared what its ${pending.length} run(s) share`);
}

/**
 * A stop signal (Ctrl-C, a scheduler's time limit or preemption): the run stops at its next
 * iteration with a checkpoint and releases its claim. Signals that arrive together (a terminal or
 * a scheduler signals every process of the job, and a --jobs pool forwards its own) are one
 * request; one sent later quits at once.
 */
function stopOnSignal(): { stop: () => boolean; dispose: () => void } {
  let first = 0;
  const on = () => {
    if (first && performance.now() - first > 2000) process.exit(130);
    if (!first) console.error('\nstopping after this iteration (send again to quit at once)...');
    first ||= performance.now();
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return {
    stop: () => first > 0,
    dispose: () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
}

const who = (c: Claim) => `${c.host} pid ${c.pid}${c.job ? ` (${c.job})` : ''}`;

/** The worker's claim events as lines (waiting lines only when what it waits for changes). */
function claimPrinter(grid: string, times: ClaimTimes): (e: ClaimEvent) => void {
  let waitingFor = '';
  return (e) => {
    if (e.kind === 'took-over') {
      console.log(`    taking over ${runName(e.run)}: claimed by ${who(e.from)} since ${e.from.start}, no heartbeat for ${formatDuration(e.ageMs / 1000)} (timeout ${formatDuration(times.timeoutMs / 1000)}); it resumes from its checkpoints`);
    } else if (e.kind === 'held') {
      console.log(`[${grid}] ${runName(e.run)}: held by ${who(e.by)} since ${e.by.start}; left to it`);
    } else if (e.kind === 'lost') {
      console.log(`[${grid}] ${runName(e.run)}: taken over by ${e.to ? who(e.to) : 'another worker'} while this worker ran it (no heartbeat from here for ${formatDuration(times.timeoutMs / 1000)}): stopped, no record written here`);
    } else {
      const text = e.held.map((h) => `${runName(h.run)} (${who(h.by)})`).join(', ');
      if (text !== waitingFor) console.log(`[${grid}] waiting for ${e.held.length} run(s) other workers hold: ${text}; any without a heartbeat for ${formatDuration(times.timeoutMs / 1000)} is taken over`);
      waitingFor = text;
    }
  };
}

/** The worker's runs one after the other in this process, lavapipe with its default threads. */
async function runHere(argv: Args, place: GridPlace, w: WorkerRuns, claims: ClaimTimes): Promise<void> {
  const e = await initEngine();
  const adapter = `${e.summary.description} (${e.summary.backend})`;
  const t0 = performance.now();
  const signal = stopOnSignal();
  try {
    const ran = await runGrid(argv.grid, {
      ...place,
      ...w,
      claims,
      wait: argv.wait,
      adapter,
      stopRequested: signal.stop,
      onClaim: claimPrinter(argv.grid, claims),
      onRun: (run, k, todo) => {
        const elapsed = (performance.now() - t0) / 1000;
        const eta = k > 0 ? `, ETA ${formatDuration((elapsed / k) * Math.max(todo - k, 0))}` : '';
        console.log(`[${argv.grid} ${k + 1}/${todo} to do] ${runName(run)}  (${formatDuration(elapsed)} so far${eta})`);
      },
      onRecorded: (run, file) => console.log(`    recorded ${runName(run)} in ${file}`),
      onEvent: (_run, ev) => {
        if (ev.kind === 'phase' && ev.phase === 'reused') console.log(`    reused: the same configuration as ${ev.detail}, finished (the engine is deterministic)`);
        if (ev.kind === 'round') console.log(`    round ${ev.metrics.round}: ${ev.metrics.totalClicks} clicks, mIoU stage 1 ${(100 * ev.metrics.stage1.miou).toFixed(1)}, stage 2 ${ev.metrics.stage2 ? (100 * ev.metrics.stage2.miou).toFixed(1) : '-'}`);
      },
    });
    const s = (performance.now() - t0) / 1000;
    console.log(`${ran} run(s) done in ${formatDuration(s)}${ran > 0 ? `, ${((ran / s) * 3600).toFixed(2)} runs per hour` : ''}`);
    if (signal.stop()) {
      console.error('stopped between runs; rerun the same command (or any worker) to continue');
      await destroyEngine().catch(() => undefined);
      process.exit(130);
    }
  } catch (err) {
    if (!(err instanceof StoppedError)) throw err;
    console.error(`\n${err.message}: checkpointed and released; this or any worker resumes it`);
    await destroyEngine().catch(() => undefined);
    process.exit(130);
  } finally {
    signal.dispose();
    await destroyEngine().catch(() => undefined);
  }
}

/** The worker's runs in `jobs` worker processes (jobs.ts), after what they share is made once here. */
async function runInProcesses(argv: Args, place: GridPlace, w: WorkerRuns, claims: ClaimTimes, todo: number, jobs: number): Promise<void> {
  const t0 = performance.now();
  console.log(`[${argv.grid}] ${todo} run(s) to do, ${jobs} side by side (one process each, LP_NUM_THREADS=${process.env.LP_NUM_THREADS ?? argv['job-threads']})`);
  await prepareOnly(argv.grid, pendingRuns(argv.grid, argv.docs, w.shard, w), place);
  const queue = workerQueue(argv.grid, argv.docs, w);
  const workerStart = Date.now();
  const shortened = (['rounds', 'iterations', 'stage2-iterations', 'budget'] as const).flatMap((k) => (argv[k] === undefined ? [] : [`--${k}`, String(argv[k])]));
  const { done, failed, stopped } = await runJobs({
    ...place,
    grid: argv.grid,
    jobs,
    todo,
    next: (skip) => nextRun(queue, { times: claims, workerStart, skip }),
    recorded: (run) => existsSync(recordFile(argv.docs, run)),
    pollMs: pollInterval(claims),
    command: [process.execPath, process.argv[1]!],
    extraArgs: [...shortened, '--heartbeat', String(argv.heartbeat), '--claim-timeout', String(argv['claim-timeout'])],
    threadsPerJob: argv['job-threads'],
    onEvent: (e) => {
      const name = e.run ? runName(e.run) : '';
      if (e.kind === 'start') console.log(`[${argv.grid}] start ${name}  (${e.finished}/${e.todo} done, ${formatDuration((performance.now() - t0) / 1000)} so far)`);
      else if (e.kind === 'line') {
        if (/^\s+(round \d|reused|taking over|recorded)|^error/.test(e.text!)) console.log(`  ${name}: ${e.text!.trim()}`);
      } else if (e.kind === 'done') console.log(`[${argv.grid}] done ${name}  (${e.finished}/${e.todo}, ${e.runsPerHour.toFixed(2)} runs per hour, ETA ${formatDuration(e.etaSeconds)})`);
      else if (e.kind === 'elsewhere') console.log(`[${argv.grid}] ${name}: claimed by another worker first; left to it`);
      else if (e.kind === 'waiting') console.log(`[${argv.grid}] waiting for runs other workers hold: ${e.text}; any without a heartbeat for ${formatDuration(claims.timeoutMs / 1000)} is taken over`);
      else console.log(`[${argv.grid}] FAILED ${name}: ${e.text}`);
    },
  });
  const s = (performance.now() - t0) / 1000;
  if (stopped) {
    console.error(`stopped after ${formatDuration(s)}: the runs in flight checkpointed and released their claims; rerun the same command (or any worker) to continue`);
    process.exit(130);
  }
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
