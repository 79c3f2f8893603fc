// Every whole-image pass within the adapter's binding limits, tested in seconds: `train` run as a
// user types it with ALSEG_MAX_BINDING_MIB lowered so far that a whole 128x256 image (its input alone
// is 0.375 MiB) is past it while the 32 px training crops are not. Evaluation, acquisition,
// pseudo-labels and batch-norm recalibration must then go through in tiles and the run must finish
// (without tiles it stops at the first whole-image pass). Where the maths says the two runs agree
// they must: the random round-1 selection and stage 1's training, up to the recalibration that
// ends it, see nothing of the limit.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli-process.js';
import { lossText } from '../../src/commands/progress.js';

const ARGS = ['train', '--synthetic-size', '8x3@128x256', '--rounds', '2', '--iterations', '2', '--stage2-iterations', '2', '--crop', '32', '--batch', '2', '--budget', '40', '--visualise', '1'];

describe('a lowered binding limit (ALSEG_MAX_BINDING_MIB)', () => {
  it('train finishes every phase in tiles, and agrees with the untiled run where it must', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alseg-limit-'));
    const data = join(dir, 'data');
    const whole = await runCli([...ARGS, '--root', data, '--out', join(dir, 'whole')], { timeoutMs: 300_000 });
    expect(whole.code, whole.output).toBe(0);
    expect(whole.output).not.toMatch(/images in \d+x\d+ tiles/);
    const tiled = await runCli([...ARGS, '--root', data, '--out', join(dir, 'tiled')], { env: { ALSEG_MAX_BINDING_MIB: '0.3' }, timeoutMs: 300_000 });
    expect(tiled.code, tiled.output).toBe(0);
    // Each pass said it tiled: inference (evaluation, acquisition, pseudo-labels) and BN statistics.
    expect(tiled.output).toMatch(/past the adapter's binding limits, inference: 256x128 images in \d+x\d+ tiles/);
    expect(tiled.output).toMatch(/past the adapter's binding limits, batch-norm statistics: 256x128 images in \d+x\d+ tiles/);
    expect(tiled.output).toMatch(/round  clicks  total clicks  stage-1 mIoU  stage-2 mIoU\n\s+1 .*\n\s+2 /);

    const file = (run: string, f: string) => readFileSync(join(dir, run, f), 'utf8');
    expect(file('tiled', 'labels/round-1.json')).toBe(file('whole', 'labels/round-1.json'));
    const losses = (run: string) => JSON.parse(file(run, 'training/round-1-stage1.json')).losses as [number, number][];
    expect(losses('tiled')).toEqual(losses('whole'));
    expect(losses('tiled').length).toBeGreaterThan(0);
    for (const m of JSON.parse(file('tiled', 'metrics.json')).rounds ?? JSON.parse(file('tiled', 'metrics.json'))) {
      expect(Number.isFinite(m.stage1.miou) && Number.isFinite(m.stage2.miou)).toBe(true);
    }
    // The progress line names the loss it shows: stage 1's last line is the logged last loss.
    const [it, loss] = losses('tiled').at(-1)!;
    expect(tiled.output).toContain(`[round 1/2] stage 1 it ${it}/2  ${lossText(loss, it, it)}`);
  });

  it('the progress line says which iteration an earlier loss is from', () => {
    expect(lossText(112.6496, 1, 7)).toBe('loss 112.6496 (it 1)');
    expect(lossText(31.8953, 10, 10)).toBe('loss 31.8953');
    expect(lossText(null, null, 3)).toBe('loss -');
  });
});
