// Claims: which worker does which run when several workers (processes of one machine, Slurm array
// tasks, Kubernetes pods) share one record directory. A claim is a small JSON file beside the run's
// record, created exclusively (a hard link of a finished temporary file, so nobody ever reads half
// of one and two creators cannot both succeed, NFS included); its holder rewrites it with a
// heartbeat every `heartbeatMs` and deletes it once the run's record is written. A claim whose
// heartbeat is older than `timeoutMs` belongs to a dead (or cut-off) worker: another worker moves it
// aside and claims the run, which resumes from its checkpoints. A holder checks at every heartbeat
// that the file is still its own, so a worker that was frozen past the timeout learns it lost the
// run and stops instead of finishing it a second time. Clocks of the workers must agree to well
// within the timeout (NTP does).
import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '../data/atomic-write.js';

export interface Claim {
  /** Unique to one claim: how its holder recognises its own file. */
  token: string;
  host: string;
  pid: number;
  /** The scheduler's name of the worker (Slurm job and array task, Kubernetes pod), when there is one. */
  job?: string;
  /** ISO times: when this worker claimed the run, and its latest heartbeat. */
  start: string;
  heartbeat: string;
  /** How far the run has got: the round and phase of its latest event. */
  round?: number;
  phase?: string;
  /** The run failed in this worker: when and why. Workers started before then leave it alone. */
  failed?: { at: string; error: string };
}

export interface ClaimTimes {
  /** How often a holder rewrites its claim. */
  heartbeatMs: number;
  /** How old a heartbeat may get before the claim counts as abandoned. */
  timeoutMs: number;
}

/** A heartbeat every minute; a claim without one for ten is taken over. */
export const DEFAULT_CLAIM_TIMES: ClaimTimes = { heartbeatMs: 60_000, timeoutMs: 600_000 };

/**
 * How often a worker with nothing to take looks at the claims it waits on: every heartbeat, but at
 * least every 5 s, so that it leaves soon after the last run is recorded.
 */
export function pollInterval(times: ClaimTimes): number {
  return Math.min(times.heartbeatMs, 5000);
}

/** A claim file as read: its parsed content and its exact text (what a takeover compares). */
export interface SeenClaim {
  claim: Claim;
  text: string;
}

/** The claim in `file`, or null when there is none. */
export function readClaim(file: string): SeenClaim | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let claim: Partial<Claim>;
  try {
    claim = JSON.parse(text) as Partial<Claim>;
  } catch (e) {
    throw new Error(`${file}: not a claim file (${(e as Error).message}); delete it if no worker runs that run`);
  }
  if (typeof claim.token !== 'string' || typeof claim.heartbeat !== 'string' || typeof claim.host !== 'string' || typeof claim.pid !== 'number' || typeof claim.start !== 'string') {
    throw new Error(`${file}: not a claim file (missing token, host, pid, start or heartbeat); delete it if no worker runs that run`);
  }
  return { claim: claim as Claim, text };
}

/** Milliseconds since the claim's latest heartbeat. */
export function heartbeatAge(c: Claim, now = Date.now()): number {
  return now - Date.parse(c.heartbeat);
}

/**
 * What a claim means to a worker that started at `workerStart`: 'free' (none, or a failure from
 * before this worker started, which it retries), 'held' by a live worker, 'stale' (no heartbeat
 * for longer than the timeout: to be taken over), or 'failed' while this worker runs.
 */
export type ClaimState = 'free' | 'held' | 'stale' | 'failed';

export function claimState(seen: SeenClaim | null, times: ClaimTimes, workerStart: number, now = Date.now()): ClaimState {
  if (!seen) return 'free';
  const { claim } = seen;
  if (claim.failed) return Date.parse(claim.failed.at) < workerStart ? 'free' : 'failed';
  return heartbeatAge(claim, now) > times.timeoutMs ? 'stale' : 'held';
}

/** Who this process is, as its claims say it. */
export interface Worker {
  host: string;
  pid: number;
  job?: string;
}

export function thisWorker(env: NodeJS.ProcessEnv = process.env): Worker {
  const slurm = env.SLURM_ARRAY_JOB_ID !== undefined && env.SLURM_ARRAY_TASK_ID !== undefined ? `slurm ${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID}` : env.SLURM_JOB_ID !== undefined ? `slurm ${env.SLURM_JOB_ID}` : undefined;
  const k8s = env.JOB_COMPLETION_INDEX !== undefined ? `completion index ${env.JOB_COMPLETION_INDEX}` : undefined;
  return { host: hostname(), pid: process.pid, job: slurm ?? k8s };
}

let unique = 0;
const aside = (file: string, what: string) => join(dirname(file), `.${basename(file)}.${hostname()}.${process.pid}.${unique++}.${what}`);

/**
 * Creates `file` with `text` unless it exists: the text goes to a temporary file first, then a hard
 * link makes it `file` in one step that fails when `file` exists (atomic on local file systems and
 * NFS alike, unlike an exclusive open followed by a write).
 */
function createExclusive(file: string, text: string): boolean {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = aside(file, 'new');
  writeFileSync(tmp, text);
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
      throw new Error(`${file}: cannot create the claim (${code}): claims need hard links on the record directory's file system (local disks, NFS, Lustre and CephFS have them)`);
    }
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Moves the claim a worker judged stale (or failed) out of the way, if the file still holds exactly
 * what it read; true when it did. When the file changed in between (its holder came back, or
 * another worker took it over), the moved file is put back where it was.
 */
function displace(file: string, seen: SeenClaim): boolean {
  const moved = aside(file, 'old');
  try {
    renameSync(file, moved);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  const text = readFileSync(moved, 'utf8');
  if (text !== seen.text) {
    // Not the claim we judged: put it back. If a third worker created a claim meanwhile, the link
    // fails and the displaced holder sees at its next heartbeat that the run is no longer its own.
    try {
      linkSync(moved, file);
    } catch {
      // see above
    }
    rmSync(moved, { force: true });
    return false;
  }
  rmSync(moved, { force: true });
  return true;
}

/** A claim this process holds: its heartbeat runs until it is released, marked failed or lost. */
export class HeldClaim {
  private claim: Claim;
  private timer: NodeJS.Timeout | null;
  private lostTo: Claim | null | undefined;

  private constructor(
    readonly file: string,
    claim: Claim,
    times: ClaimTimes,
  ) {
    this.claim = claim;
    this.timer = setInterval(() => this.beat(), times.heartbeatMs);
    this.timer.unref();
  }

  /**
   * Claims the run of `file` for `worker`: created when `seen` is null, taken over when `seen` is
   * the stale or failed claim the caller read. Null when another worker was quicker.
   */
  static acquire(file: string, seen: SeenClaim | null, worker: Worker, times: ClaimTimes): HeldClaim | null {
    const now = new Date().toISOString();
    const claim: Claim = { token: randomUUID(), host: worker.host, pid: worker.pid, ...(worker.job ? { job: worker.job } : {}), start: now, heartbeat: now };
    if (seen && !displace(file, seen)) return null;
    if (!createExclusive(file, JSON.stringify(claim, null, 2))) return null;
    return new HeldClaim(file, claim, times);
  }

  /** Whether another worker has taken the run over (seen at a heartbeat or `stillMine`). */
  get lost(): boolean {
    return this.lostTo !== undefined;
  }

  /** Who holds the run now, when it was lost (null: nobody, the file was removed). */
  get holder(): Claim | null {
    return this.lostTo ?? null;
  }

  /** Reads the file back: true while it is still this claim. */
  stillMine(): boolean {
    if (this.lost) return false;
    const now = readClaim(this.file);
    if (now?.claim.token === this.claim.token) return true;
    this.lostTo = now?.claim ?? null;
    this.stopBeating();
    return false;
  }

  /** Records how far the run has got (written at once when the round or phase changed). */
  progress(round: number, phase: string): void {
    if (this.claim.round === round && this.claim.phase === phase) return;
    this.claim = { ...this.claim, round, phase };
    if (this.timer && this.stillMine()) this.write();
  }

  /** The record is written: the claim is removed. */
  release(): void {
    this.stopBeating();
    if (this.stillMine()) rmSync(this.file, { force: true });
  }

  /** The run failed here: the claim stays, marked failed with the reason, for `experiment status`. */
  fail(error: string): void {
    this.stopBeating();
    if (!this.stillMine()) return;
    this.claim = { ...this.claim, failed: { at: new Date().toISOString(), error } };
    this.write();
  }

  private beat(): void {
    if (!this.stillMine()) return;
    this.claim = { ...this.claim, heartbeat: new Date().toISOString() };
    this.write();
  }

  private write(): void {
    writeFileAtomic(this.file, JSON.stringify(this.claim, null, 2));
  }

  private stopBeating(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
