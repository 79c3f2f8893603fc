// `node dist/cli.js train` on a Cityscapes-layout set with a corrupt val image and a train label of
// the wrong size: it must stop before any training, list both problems at once with the command that
// shows them again, and leave no run directory behind; once fixed, only the changed files are read
// again (the check's cache), and an unchanged set is not read at all.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { ensureSyntheticDataset, DEFAULT_SYNTHETIC } from '../../src/data/synthetic.js';
import { runCli } from '../cli-process.js';

const base = mkdtempSync(join(tmpdir(), 'alseg-data-check-'));
const root = join(base, 'cityscapes');

function firstPng(dir: string): string {
  const city = readdirSync(dir)[0];
  return join(dir, city, readdirSync(join(dir, city)).filter((f) => f.endsWith('.png')).sort()[0]);
}

describe('alseg train checks its data before training', () => {
  it('lists every problem at once, trains nothing, and re-reads only what changed', async () => {
    const generated = join(base, 'generated');
    ensureSyntheticDataset(generated, { ...DEFAULT_SYNTHETIC, splits: { train: 6, val: 2 }, height: 64, width: 128 });
    cpSync(generated, root, { recursive: true });
    rmSync(join(root, 'alseg-synthetic.json'));
    const badImage = firstPng(join(root, 'leftImg8bit', 'val'));
    const badLabel = firstPng(join(root, 'gtFine', 'train'));
    const goodImage = readFileSync(badImage);
    const goodLabel = readFileSync(badLabel);
    writeFileSync(badImage, goodImage.subarray(0, 200)); // truncated, as by a full disk
    const small = new PNG({ width: 32, height: 16, colorType: 0, inputColorType: 0 });
    small.data = Buffer.alloc(32 * 16 * 4, 7);
    writeFileSync(badLabel, PNG.sync.write(small, { colorType: 0, inputColorType: 0 })); // wrong size

    const out = join(base, 'run');
    const args = ['train', '--dataset', 'cityscapes', '--root', root, '--rounds', '1', '--budget', '20', '--iterations', '2', '--stage2-iterations', '2', '--batch', '2', '--crop', '48', '--out', out];
    const failed = await runCli(args, { cwd: base });
    expect(failed.code, failed.output).toBe(1);
    expect(failed.output).toContain('the data check found 2 problem(s); nothing was trained');
    expect(failed.output).toContain(`${badImage}: corrupt PNG`);
    expect(failed.output).toMatch(new RegExp(`${badLabel.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*size`));
    expect(failed.output).not.toMatch(/stage 1|select/);
    expect(existsSync(out), 'a failed check leaves no run directory').toBe(false);

    // The command it names shows the same problems.
    const again = failed.output.match(/See them again with: node dist\/cli\.js (.*)/)![1].split(' ');
    const check = await runCli(again, { cwd: base });
    expect(check.code).toBe(1);
    expect(check.output).toContain(badImage);
    expect(check.output).toContain(badLabel);

    // Fixed: the two changed files are read again, the six that passed are not.
    writeFileSync(badImage, goodImage);
    writeFileSync(badLabel, goodLabel);
    const fixed = await runCli(args, { cwd: base, killAt: { line: /^\[round 1\/1\] select/ } });
    expect(fixed.output).toContain('6 train, 2 val samples checked (2 read now, 6 unchanged since the last check)');
    const unchanged = await runCli([...args.slice(0, -1), join(base, 'run2')], { cwd: base, killAt: { line: /^\[round 1\/1\] select/ } });
    expect(unchanged.output).toContain('samples checked (0 read now, 8 unchanged since the last check)');
  });
});
