// Where a grid stands, read from its shared record directory alone (what `experiment status`
// prints): each run done (a record), running (a live claim: which worker, since when, which round),
// stalled (a claim without a heartbeat for longer than the timeout: the next worker to look takes
// it over), failed (a claim marked failed) or waiting; and the time left, estimated from the
// recorded runs' times.
import { existsSync } from 'node:fs';
import { claimState, readClaim, type Claim, type ClaimTimes } from './claims.js';
import { claimFile, gridOf, readRecords, recordFile, runName, runSeconds, type ExperimentRun } from './experiment.js';

export type RunState = 'done' | 'running' | 'stalled' | 'failed' | 'waiting';

export interface RunStatus {
  run: ExperimentRun;
  name: string;
  state: RunState;
  /** The claim of a running, stalled or failed run. */
  claim?: Claim;
}

export interface GridStatus {
  grid: string;
  runs: RunStatus[];
  /** Mean seconds of the recorded runs that ran here (not copied from another grid), with how many. */
  meanRunSeconds: number | null;
  timedRuns: number;
  /** Runs with a live claim: the workers at work now. */
  workers: number;
  /**
   * Seconds until every run not failed is recorded, at the mean run time with the workers at work
   * now (at least one): what the running runs have left of the mean, plus a mean per other run.
   * Null until a run is recorded.
   */
  secondsLeft: number | null;
}

export function gridStatus(grid: string, docsDir: string, times: ClaimTimes, now = Date.now()): GridStatus {
  const runs: RunStatus[] = gridOf(grid)
    .runs()
    .map((run) => {
      const name = runName(run);
      if (existsSync(recordFile(docsDir, run))) return { run, name, state: 'done' as const };
      const seen = readClaim(claimFile(docsDir, run));
      if (!seen) return { run, name, state: 'waiting' as const };
      // Every failure counts as failed here (a worker started later would retry it).
      const state: RunState = seen.claim.failed ? 'failed' : claimState(seen, times, now, now) === 'stale' ? 'stalled' : 'running';
      return { run, name, state, claim: seen.claim };
    });
  const timed = readRecords(docsDir, grid).filter((r) => !r.reusedFrom);
  const mean = timed.length ? timed.reduce((s, r) => s + runSeconds(r), 0) / timed.length : null;
  const running = runs.filter((r) => r.state === 'running');
  const others = runs.filter((r) => r.state === 'waiting' || r.state === 'stalled').length;
  const secondsLeft =
    mean === null ? null : (running.reduce((s, r) => s + Math.max(mean - (now - Date.parse(r.claim!.start)) / 1000, 0), 0) + others * mean) / Math.max(running.length, 1);
  return { grid, runs, meanRunSeconds: mean, timedRuns: timed.length, workers: running.length, secondsLeft };
}

