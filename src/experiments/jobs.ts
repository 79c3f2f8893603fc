// A grid's runs side by side on one machine: N worker processes, each running one run at a time
// with lavapipe inline on its own thread (LP_NUM_THREADS=0), new runs handed out as workers finish.
// On a software adapter one run's dispatches are too small for a second lavapipe thread to pay
// (docs/performance.md, "Grids on every core"), so N processes of one thread each do more runs per
// hour than one process with N threads. Workers are this same command line with `--only <run>`,
// so a worker is exactly what a user would run by hand, and its record is written the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import { runName, type ExperimentRun, type GridPlace } from './experiment.js';

export interface JobEvent {
  kind: 'start' | 'line' | 'done' | 'failed';
  run: ExperimentRun;
  /** 'line': one line the worker printed. 'failed': why. */
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
  runs: readonly ExperimentRun[];
  jobs: number;
  /** The command line to start workers with: node's path and alseg's cli.js. */
  command: readonly [string, string];
  /** Options every worker gets as well (a shortened pass). */
  extraArgs?: readonly string[];
  /** LP_NUM_THREADS of each worker (0: inline on the worker's own thread). The caller's own setting wins. */
  threadsPerJob: number;
  onEvent: (e: JobEvent) => void;
}

/** Runs `runs` in at most `jobs` worker processes; resolves with the runs that failed. */
export async function runJobs(o: JobOptions): Promise<ExperimentRun[]> {
  const queue = [...o.runs];
  const failed: ExperimentRun[] = [];
  const live = new Set<ChildProcess>();
  const t0 = performance.now();
  let finished = 0;
  const rate = () => {
    const hours = (performance.now() - t0) / 3.6e6;
    const perHour = hours > 0 ? finished / hours : 0;
    const left = queue.length + live.size / 2;
    return { finished, runsPerHour: perHour, etaSeconds: perHour > 0 ? (left / perHour) * 3600 : Infinity, todo: o.runs.length };
  };
  // A stop request reaches every worker: each checkpoints its iteration and exits; the grid resumes.
  const forward = (signal: NodeJS.Signals) => () => {
    queue.length = 0;
    for (const c of live) c.kill(signal);
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);

  const worker = async (): Promise<void> => {
    for (let run = queue.shift(); run; run = queue.shift()) {
      o.onEvent({ kind: 'start', run, ...rate() });
      const args = [o.command[1], 'experiment', o.grid, '--only', runName(run), '--jobs', '1', '--root', o.root, '--dir', o.experimentsDir, '--docs', o.docsDir, ...(o.extraArgs ?? [])];
      const env = { ...process.env, LP_NUM_THREADS: process.env.LP_NUM_THREADS ?? String(o.threadsPerJob) };
      const child = spawn(o.command[0], args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      live.add(child);
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
      const code = await new Promise<number | null>((resolve) => child.on('close', (c, signal) => resolve(signal ? null : c)));
      live.delete(child);
      if (code === 0) {
        finished++;
        o.onEvent({ kind: 'done', run, ...rate() });
      } else {
        failed.push(run);
        o.onEvent({ kind: 'failed', run, text: `exit ${code ?? 'by signal'}; its last lines:\n${tail.slice(-5).join('\n')}`, ...rate() });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.jobs, o.runs.length)) }, worker));
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  return failed;
}
