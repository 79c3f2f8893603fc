// A grid's runs side by side on one machine: N worker processes, each running one run at a time
// with lavapipe inline on its own thread (LP_NUM_THREADS=0), new runs handed out as workers finish.
// On a software adapter one run's dispatches are too small for a second lavapipe thread to pay
// (docs/performance.md, "Grids on every core"), so N processes of one thread each do more runs per
// hour than one process with N threads. Workers are this same command line with `--only <run>`,
// so a worker is exactly what a user would run by hand: it claims its run (claims.ts) and writes
// its record the same way, so a pool shares a record directory with any other workers (other
// pools, Slurm tasks) without doing a run twice. The pool hands out runs in the order run-queue.ts
// gives, skipping those in flight; when only runs other workers hold are left, it looks again every
// `pollMs` and starts a worker on any run whose claim was abandoned.
import { spawn, type ChildProcess } from 'node:child_process';
import { runName, type ExperimentRun, type GridPlace } from './experiment.js';
import type { Next } from './run-queue.js';

export interface JobEvent {
  /**
   * 'elsewhere': the worker found the run claimed by another worker after all (nothing done);
   * 'waiting': only runs that other workers hold are left (`text` names them).
   */
  kind: 'start' | 'line' | 'done' | 'failed' | 'elsewhere' | 'waiting';
  run?: ExperimentRun;
  /** 'line': one line the worker printed. 'failed': why. 'waiting': the runs and their holders. */
  text?: string;
  /** Runs finished so far, and per hour of this pool's wall time ('done'). */
  finished: number;
  runsPerHour: number;
  /** Seconds left at the mean time per run so far (runs in flight count as half done). */
  etaSeconds: number;
  todo: number;
}

export interface JobOptions extends GridPlace {
  grid: string;
  jobs: number;
  /** How many runs had no record when the pool started (for progress). */
  todo: number;
  /** The next run to start, skipping the runs of these names (in flight, or failed in this pool). */
  next: (skip: ReadonlySet<string>) => Next<ExperimentRun>;
  /** Whether a run's record exists (how a worker's clean exit is told from "held elsewhere"). */
  recorded: (run: ExperimentRun) => boolean;
  /** How often to look again while only runs other workers hold are left. */
  pollMs: number;
  /** The command line to start workers with: node's path and alseg's cli.js. */
  command: readonly [string, string];
  /** Options every worker gets as well (a shortened pass, the claims' times). */
  extraArgs?: readonly string[];
  /** LP_NUM_THREADS of each worker (0: inline on the worker's own thread). The caller's own setting wins. */
  threadsPerJob: number;
  onEvent: (e: JobEvent) => void;
}

export interface JobsResult {
  /** Runs this pool's workers recorded. */
  done: number;
  failed: ExperimentRun[];
  /** A stop signal ended the pool before every run was done. */
  stopped: boolean;
}

/** Runs the grid's runs in at most `jobs` worker processes until none is left to take. */
export async function runJobs(o: JobOptions): Promise<JobsResult> {
  const failed: ExperimentRun[] = [];
  const live = new Map<string, { child: ChildProcess; ended: Promise<void> }>();
  const skip = new Set<string>();
  const t0 = performance.now();
  let finished = 0;
  let stopped = false;
  const rate = () => {
    const hours = (performance.now() - t0) / 3.6e6;
    const perHour = hours > 0 ? finished / hours : 0;
    const left = Math.max(o.todo - finished - live.size, 0) + live.size / 2;
    return { finished, runsPerHour: perHour, etaSeconds: perHour > 0 ? (left / perHour) * 3600 : Infinity, todo: o.todo };
  };
  // A stop request reaches every worker: each checkpoints its iteration, releases its claim and exits.
  const forward = (signal: NodeJS.Signals) => () => {
    stopped = true;
    for (const { child } of live.values()) child.kill(signal);
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);

  const start = (run: ExperimentRun): Promise<void> => {
    o.onEvent({ kind: 'start', run, ...rate() });
    const args = [o.command[1], 'experiment', o.grid, '--only', runName(run), '--no-wait', '--jobs', '1', '--root', o.root, '--dir', o.experimentsDir, '--docs', o.docsDir, ...(o.extraArgs ?? [])];
    const env = { ...process.env, LP_NUM_THREADS: process.env.LP_NUM_THREADS ?? String(o.threadsPerJob) };
    const child = spawn(o.command[0], args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const lines = (chunk: Buffer, buffer: { text: string }) => {
      buffer.text += chunk.toString();
      const parts = buffer.text.split('\n');
      buffer.text = parts.pop()!;
      for (const text of parts) {
        tail.push(text);
        if (tail.length > 20) tail.shift();
        o.onEvent({ kind: 'line', run, text, ...rate() });
      }
    };
    const out = { text: '' };
    const err = { text: '' };
    child.stdout!.on('data', (c: Buffer) => lines(c, out));
    child.stderr!.on('data', (c: Buffer) => lines(c, err));
    const ended = new Promise<number | null>((resolve) => child.on('close', (c, signal) => resolve(signal ? null : c))).then((code) => {
      live.delete(runName(run));
      if (code === 0 && o.recorded(run)) {
        finished++;
        o.onEvent({ kind: 'done', run, ...rate() });
      } else if (code === 0) {
        // Claimed by another worker between our look and the worker's claim: theirs now.
        skip.delete(runName(run));
        o.onEvent({ kind: 'elsewhere', run, ...rate() });
      } else {
        failed.push(run);
        o.onEvent({ kind: 'failed', run, text: `exit ${code ?? 'by signal'}; its last lines:\n${tail.slice(-5).join('\n')}`, ...rate() });
      }
    });
    live.set(runName(run), { child, ended });
    return ended;
  };

  let waitingFor = '';
  try {
    for (;;) {
      let next: Next<ExperimentRun> = stopped ? { kind: 'done' } : o.next(skip);
      while (next.kind === 'take' && live.size < o.jobs) {
        skip.add(next.run.name);
        void start(next.run.item);
        next = o.next(skip);
      }
      if (live.size === 0 && next.kind === 'done') break;
      if (next.kind === 'wait' && live.size < o.jobs) {
        const text = next.held.map((h) => `${h.run.name} (${h.claim.host} pid ${h.claim.pid})`).join(', ');
        if (text !== waitingFor) o.onEvent({ kind: 'waiting', text, ...rate() });
        waitingFor = text;
      }
      // Wake when a worker ends, or after pollMs to look for abandoned claims.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([...[...live.values()].map((l) => l.ended), new Promise<void>((r) => (timer = setTimeout(r, o.pollMs)))]);
      clearTimeout(timer);
    }
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  return { done: finished, failed, stopped };
}
