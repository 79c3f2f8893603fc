// Claims on a shared record directory (src/experiments/claims.ts): exclusive creation, heartbeats,
// takeover of an abandoned claim by exactly one worker, a frozen holder learning it lost its run,
// failures, and the order in which workers take runs (run-queue.ts).
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimState, HeldClaim, readClaim, type Claim, type ClaimTimes, type Worker } from '../../src/experiments/claims.js';
import { nextRun, workerOrder, type QueuedRun } from '../../src/experiments/run-queue.js';

const SLOW: ClaimTimes = { heartbeatMs: 60_000, timeoutMs: 600_000 };
const A: Worker = { host: 'node-a', pid: 11, job: 'slurm 7_0' };
const B: Worker = { host: 'node-b', pid: 22 };
const C: Worker = { host: 'node-c', pid: 33 };

const dir = () => mkdtempSync(join(tmpdir(), 'alseg-claims-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Rewrites a claim's heartbeat as if its holder had last beaten `ageMs` ago (a frozen or dead worker). */
function age(file: string, ageMs: number): void {
  const c = JSON.parse(readFileSync(file, 'utf8')) as Claim;
  writeFileSync(file, JSON.stringify({ ...c, heartbeat: new Date(Date.now() - ageMs).toISOString() }));
}

describe('claims', () => {
  it('are created once: a second worker cannot claim a held run', () => {
    const file = join(dir(), 'grid', 'run.claim');
    const held = HeldClaim.acquire(file, null, A, SLOW)!;
    expect(held).not.toBeNull();
    const seen = readClaim(file)!;
    expect(seen.claim).toMatchObject({ host: 'node-a', pid: 11, job: 'slurm 7_0' });
    expect(seen.claim.start).toBe(seen.claim.heartbeat);
    expect(HeldClaim.acquire(file, null, B, SLOW)).toBeNull();
    expect(claimState(seen, SLOW, Date.now())).toBe('held');
    held.release();
    expect(readClaim(file)).toBeNull();
    // Nothing left beside it: no temporary files.
    expect(readdirSync(join(file, '..'))).toEqual([]);
  });

  it('carry a heartbeat and the run\'s progress while held', async () => {
    const file = join(dir(), 'run.claim');
    const held = HeldClaim.acquire(file, null, A, { heartbeatMs: 40, timeoutMs: 400 })!;
    const first = readClaim(file)!.claim.heartbeat;
    held.progress(2, 'stage 1');
    expect(readClaim(file)!.claim).toMatchObject({ round: 2, phase: 'stage 1' });
    await sleep(150);
    const later = readClaim(file)!.claim;
    expect(Date.parse(later.heartbeat)).toBeGreaterThan(Date.parse(first));
    expect(later.start).toBe(first);
    held.release();
    await sleep(100);
    expect(readClaim(file)).toBeNull(); // no heartbeat after the release
  });

  it('without a heartbeat for the timeout are taken over by exactly one worker, and the frozen holder learns it lost the run', () => {
    const file = join(dir(), 'run.claim');
    const frozen = HeldClaim.acquire(file, null, A, SLOW)!;
    age(file, SLOW.timeoutMs + 1000);
    const stale = readClaim(file)!;
    expect(claimState(stale, SLOW, Date.now())).toBe('stale');
    // B and C both saw it stale; only the first takeover succeeds.
    const b = HeldClaim.acquire(file, stale, B, SLOW);
    const c = HeldClaim.acquire(file, stale, C, SLOW);
    expect(b).not.toBeNull();
    expect(c).toBeNull();
    expect(readClaim(file)!.claim).toMatchObject({ host: 'node-b', pid: 22 });
    expect(frozen.stillMine()).toBe(false);
    expect(frozen.lost).toBe(true);
    expect(frozen.holder).toMatchObject({ host: 'node-b' });
    frozen.release(); // not its claim any more: left alone
    expect(readClaim(file)!.claim.host).toBe('node-b');
    b!.release();
    expect(readdirSync(join(file, '..'))).toEqual([]);
  });

  it('are not taken over when the holder beat again after it was seen stale', () => {
    const file = join(dir(), 'run.claim');
    HeldClaim.acquire(file, null, A, SLOW);
    age(file, SLOW.timeoutMs + 1000);
    const stale = readClaim(file)!;
    age(file, 0); // the holder came back before the takeover
    expect(HeldClaim.acquire(file, stale, B, SLOW)).toBeNull();
    expect(readClaim(file)!.claim.host).toBe('node-a');
    expect(readdirSync(join(file, '..'))).toEqual(['run.claim']);
  });

  it('of a failed run stay, marked; a worker started after the failure leaves it, one started later retries it', async () => {
    const file = join(dir(), 'run.claim');
    const before = Date.now() - 1;
    const held = HeldClaim.acquire(file, null, A, SLOW)!;
    await sleep(5);
    held.fail('out of memory');
    const seen = readClaim(file)!;
    expect(seen.claim.failed).toMatchObject({ error: 'out of memory' });
    expect(claimState(seen, SLOW, before)).toBe('failed');
    expect(claimState(seen, SLOW, Date.now() + 1)).toBe('free');
    expect(HeldClaim.acquire(file, seen, B, SLOW)).not.toBeNull();
  });

  it('that are not claim files are named', () => {
    const file = join(dir(), 'run.claim');
    writeFileSync(file, '{"tok');
    expect(() => readClaim(file)).toThrow(/run\.claim: not a claim file/);
    writeFileSync(file, '{}');
    expect(() => readClaim(file)).toThrow(/run\.claim: not a claim file \(missing token/);
  });
});

describe('the order in which a worker takes runs', () => {
  it('is its shard first, then (helping) every other run in the grid\'s order', () => {
    const runs = [0, 1, 2, 3, 4, 5, 6];
    expect(workerOrder(runs, [1, 3], false)).toEqual([1, 4]);
    expect(workerOrder(runs, [1, 3], true)).toEqual([1, 4, 0, 2, 3, 5, 6]);
    expect(workerOrder(runs, [0, 1], true)).toEqual(runs);
  });

  it('skips recorded and held runs, takes over stale ones, and waits only for live holders', () => {
    const d = dir();
    const q = (name: string): QueuedRun<string> => ({ item: name, name, record: join(d, `${name}.json`), claim: join(d, `${name}.claim`) });
    const queue = ['r0', 'r1', 'r2'].map(q);
    const start = Date.now();
    writeFileSync(queue[0].record, '{}');
    const held = HeldClaim.acquire(queue[1].claim, null, A, SLOW)!;
    expect(nextRun(queue, { times: SLOW, workerStart: start })).toMatchObject({ kind: 'take', run: { name: 'r2' }, seen: null });
    expect(nextRun(queue, { times: SLOW, workerStart: start, skip: new Set(['r2']) })).toMatchObject({ kind: 'wait', held: [{ run: { name: 'r1' }, claim: { host: 'node-a' } }] });
    age(queue[1].claim, SLOW.timeoutMs + 1);
    const next = nextRun(queue, { times: SLOW, workerStart: start, skip: new Set(['r2']) });
    expect(next).toMatchObject({ kind: 'take', run: { name: 'r1' }, seen: { claim: { host: 'node-a' } } });
    held.release();
    writeFileSync(queue[1].record, '{}');
    writeFileSync(queue[2].record, '{}');
    expect(nextRun(queue, { times: SLOW, workerStart: start })).toEqual({ kind: 'done' });
  });
});
