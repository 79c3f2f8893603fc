// The order in which a worker takes a grid's runs, and which one it takes next given what the shared
// record directory holds: records (done) and claims (claims.ts: held, abandoned or failed).
import { existsSync } from 'node:fs';
import { claimState, readClaim, type Claim, type ClaimTimes, type SeenClaim } from './claims.js';

/** A run with the files that say where it stands. */
export interface QueuedRun<T> {
  item: T;
  name: string;
  record: string;
  claim: string;
}

/**
 * The runs a worker of shard i/n considers, in order: its shard's (index = i mod n) in the grid's
 * order, then, when it helps, every other run in the grid's order. Workers that start together
 * each begin with a run of their own, so they rarely race for one.
 */
export function workerOrder<T>(runs: readonly T[], shard: readonly [number, number], help: boolean): T[] {
  const [i, n] = shard;
  const own = runs.filter((_, k) => k % n === i);
  return help ? [...own, ...runs.filter((_, k) => k % n !== i)] : own;
}

export type Next<T> =
  /** A run to claim: free, or `seen` is the abandoned (or earlier failed) claim to take over. */
  | { kind: 'take'; run: QueuedRun<T>; seen: SeenClaim | null }
  /** Nothing to take, but live workers hold these runs: one of them may yet be abandoned. */
  | { kind: 'wait'; held: { run: QueuedRun<T>; claim: Claim }[] }
  /** Every run is recorded, failed while this worker runs, or skipped. */
  | { kind: 'done' };

export interface NextOptions {
  times: ClaimTimes;
  /** When this worker started (epoch ms): failures from before then are retried. */
  workerStart: number;
  /** Names of runs not to take (in flight in this pool, or tried already by this worker). */
  skip?: ReadonlySet<string>;
}

/** The first run of `queue` a worker may take now, or whether it must wait or is done. */
export function nextRun<T>(queue: readonly QueuedRun<T>[], o: NextOptions): Next<T> {
  const held: { run: QueuedRun<T>; claim: Claim }[] = [];
  for (const run of queue) {
    if (o.skip?.has(run.name) || existsSync(run.record)) continue;
    const seen = readClaim(run.claim);
    const state = claimState(seen, o.times, o.workerStart);
    if (state === 'free' || state === 'stale') return { kind: 'take', run, seen };
    if (state === 'held') held.push({ run, claim: seen!.claim });
  }
  return held.length ? { kind: 'wait', held } : { kind: 'done' };
}
