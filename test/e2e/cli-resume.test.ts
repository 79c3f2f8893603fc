// `node dist/cli.js train` as a user runs it: killed with SIGKILL at several points of a run (inside
// selection, stage 1, evaluation, pseudo-labels, stage 2, between rounds) and resumed each time with
// the same command plus --resume, or stopped with Ctrl-C (SIGINT) and resumed, it must end with the
// labelled regions and metrics (wall time aside) of an uninterrupted run; two uninterrupted runs with
// the same options are identical. ALSEG_RESUME_SOAK=1 adds a longer run killed at 10 random moments.
import { mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type KillAt } from '../cli-process.js';

const base = mkdtempSync(join(tmpdir(), 'alseg-cli-resume-'));
const data = join(base, 'data');

function trainArgs(out: string, extra: string[] = []): string[] {
  return [
    'train', '--root', data, '--synthetic-size', '6x2@64x128', '--rounds', '2', '--budget', '20',
    '--iterations', '5', '--stage2-iterations', '4', '--batch', '2', '--crop', '48',
    '--checkpoint-every', '2', '--visualise', '1', '--out', join(base, out), ...extra,
  ];
}

/** What a run computed: its labelled regions per round and its metrics without wall times. */
function outcome(out: string): { labels: Record<string, unknown>; metrics: unknown } {
  const dir = join(base, out);
  const labels: Record<string, unknown> = {};
  for (const f of readdirSync(join(dir, 'labels')).sort()) labels[f] = JSON.parse(readFileSync(join(dir, 'labels', f), 'utf8'));
  const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'), (k, v) => (k === 'seconds' ? undefined : v));
  return { labels, metrics };
}

async function uninterrupted(out: string) {
  const r = await runCli(trainArgs(out));
  expect(r.code, r.output).toBe(0);
  return outcome(out);
}

describe('alseg train from the command line: kill, resume, determinism', () => {
  it('two runs with the same options give identical labels and metrics', async () => {
    const a = await uninterrupted('a');
    const b = await uninterrupted('b');
    expect(Object.keys(a.labels)).toEqual(['round-1.json', 'round-2.json']);
    expect(b).toEqual(a);
  });

  it('killed with SIGKILL at every phase and resumed with --resume, it ends as the uninterrupted run', async () => {
    const reference = outcome('a');
    // In run order; each process resumes the previous one and is killed at the next point.
    const points: [string, KillAt][] = [
      ['round 1, stage 1', { line: /^\[round 1\/2\] stage 1 \(/, delayMs: 300 }],
      ['round 1, evaluation of stage 1', { line: /^\[round 1\/2\] evaluate stage 1/ }],
      ['round 1, pseudo-labels', { line: /^\[round 1\/2\] pseudo-labels/ }],
      ['round 1, stage 2', { line: /^\[round 1\/2\] stage 2$/, delayMs: 300 }],
      ['between rounds', { line: /^\[round 1\/2\] done:/ }],
      ['round 2, selection (PixBal)', { line: /^\[round 2\/2\] select/ }],
      ['round 2, stage 2', { line: /^\[round 2\/2\] stage 2$/, delayMs: 100 }],
      ['round 2, evaluation of stage 2', { line: /^\[round 2\/2\] evaluate stage 2/ }],
    ];
    for (const [i, [where, killAt]] of points.entries()) {
      const r = await runCli(trainArgs('killed', i ? ['--resume'] : []), { killAt });
      expect(r.signalled, `${where}: the line to kill at never appeared\n${r.output}`).toBe(true);
      // A kill that lands after the process finished its work is still a valid (late) kill point.
      expect(r.signal === 'SIGKILL' || r.code === 0, `${where}\n${r.output}`).toBe(true);
    }
    const last = await runCli(trainArgs('killed', ['--resume']));
    expect(last.code, last.output).toBe(0);
    expect(outcome('killed')).toEqual(reference);
  });

  it('stopped with Ctrl-C (SIGINT) it checkpoints, says how to continue, and resumes to the same end', async () => {
    const reference = outcome('a');
    const r = await runCli(trainArgs('interrupted'), { killAt: { line: /^\[round 1\/2\] stage 2$/, delayMs: 200, signal: 'SIGINT' } });
    expect(r.code, r.output).toBe(130);
    expect(r.output).toContain(`train --resume --out ${join(base, 'interrupted')}`);
    const resumed = await runCli(trainArgs('interrupted', ['--resume']));
    expect(resumed.code, resumed.output).toBe(0);
    expect(outcome('interrupted')).toEqual(reference);
  });

  it('a finished run resumed with no other option reprints its results; a changed setting is named', async () => {
    const same = await runCli(trainArgs('a', ['--resume']));
    expect(same.code, same.output).toBe(0);
    expect(same.output).toMatch(/round {2}clicks/);
    const other = await runCli(trainArgs('a', ['--resume', '--budget', '30', '--no-mp']));
    expect(other.code).toBe(1);
    expect(other.output).toContain('--budget: 20 in the saved run, 30 now');
    expect(other.output).toContain('--mp: true in the saved run, false now');
  });

  it('a damaged checkpoint is named and the run resumes from the one before it, or from the stage start', async () => {
    const reference = outcome('a');
    const ckpt = (out: string) => join(base, out, 'checkpoints', 'round-1-stage1.safetensors');
    const prev = (out: string) => join(base, out, 'checkpoints', 'round-1-stage1.prev.safetensors');
    // Halted at iteration 4 of round 1's stage 1: checkpoints of iterations 4 (current) and 2 (previous).
    for (const out of ['damaged', 'both-damaged']) {
      const halted = await runCli(trainArgs(out, ['--halt-at', '1:stage1:4']));
      expect(halted.code, halted.output).toBe(137);
    }
    // Bytes flipped inside the tensors (the file still parses): caught by the checksum.
    const bytes = readFileSync(ckpt('damaged'));
    for (let i = bytes.length - 64; i < bytes.length - 32; i++) bytes[i] ^= 0x5a;
    writeFileSync(ckpt('damaged'), bytes);
    const resumed = await runCli(trainArgs('damaged', ['--resume']));
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toContain(`${ckpt('damaged')}: the tensors do not match the checkpoint's checksum (the file is damaged): resuming from the previous checkpoint ${prev('damaged')} (iteration 2)`);
    expect(outcome('damaged')).toEqual(reference);

    // Both damaged (one cut short as by a full disk): the stage starts again, to the same end.
    truncateSync(ckpt('both-damaged'), 1000);
    writeFileSync(prev('both-damaged'), 'not a checkpoint');
    const restarted = await runCli(trainArgs('both-damaged', ['--resume']));
    expect(restarted.code, restarted.output).toBe(0);
    expect(restarted.output).toContain(ckpt('both-damaged'));
    expect(restarted.output).toContain('no usable earlier checkpoint, so this stage starts again from its first iteration');
    expect(outcome('both-damaged')).toEqual(reference);
  });

  it.skipIf(!process.env.ALSEG_RESUME_SOAK)('soak (ALSEG_RESUME_SOAK=1): 10 kills at random moments', async () => {
    const reference = outcome('a');
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let k = 0; k < 10; k++) {
      await runCli(trainArgs('soak', k ? ['--resume'] : []), { afterMs: { ms: 800 + Math.floor(random() * 2500), signal: 'SIGKILL' } });
    }
    const last = await runCli(trainArgs('soak', ['--resume']));
    expect(last.code, last.output).toBe(0);
    expect(outcome('soak')).toEqual(reference);
  });
});
