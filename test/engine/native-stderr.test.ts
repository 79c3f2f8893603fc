// Dawn's two limit-clamp warnings are dropped from stderr, and nothing else: a child process writes
// them and another line to fd 2 natively (as Dawn does) while the filter holds it, and writes after.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compiledCli } from '../cli-build.js';
import { DAWN_LIMIT_CLAMP, withoutLines } from '../../src/engine/native-stderr.js';

const CLAMP = [
  'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.',
  'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.',
];

/** Runs node with `args`, its stderr a file; returns the exit status and what the file holds. */
function stderrToFile(args: string[]): { status: number | null; stderr: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'alseg-stderr-')), 'stderr.txt');
  const fd = openSync(file, 'w');
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', fd] });
  closeSync(fd);
  return { status: r.status, stderr: readFileSync(file, 'utf8') };
}

describe("Dawn's adapter warnings", () => {
  it('drops exactly the two clamp lines', () => {
    const text = `${CLAMP[0]}\nWarning: something else\n${CLAMP[1]}\nlast line without newline`;
    expect(withoutLines(text, DAWN_LIMIT_CLAMP)).toBe('Warning: something else\nlast line without newline');
    expect(withoutLines(`${CLAMP[0]} (extra)\n`, DAWN_LIMIT_CLAMP)).toBe(`${CLAMP[0]} (extra)\n`);
  });

  it('catches native writes to fd 2 while the adapter opens and replays all but the clamp lines, in order', () => {
    const dir = join(compiledCli(), '..');
    const script = join(dir, 'native-stderr-probe.mjs');
    writeFileSync(
      script,
      `import { writeSync } from 'node:fs';
import { DAWN_LIMIT_CLAMP, filteringNativeStderr } from './engine/native-stderr.js';
writeSync(2, 'before\\n');
await filteringNativeStderr(DAWN_LIMIT_CLAMP, async () => {
  writeSync(2, ${JSON.stringify(`${CLAMP[0]}\nkept: a driver warning\n${CLAMP[1]}\n`)});
  await new Promise((r) => setTimeout(r, 10));
});
writeSync(2, 'after\\n');
process.stderr.write('stream after\\n');
`,
    );
    // stderr a file, as with \`2> log\` (a terminal and a shell pipe reopen the same way).
    expect(stderrToFile([script])).toEqual({ status: 0, stderr: 'before\nkept: a driver warning\nafter\nstream after\n' });
  });

  it('`info` prints no clamp warning, on stdout or stderr', () => {
    const r = stderrToFile([compiledCli(), 'info']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    // On a terminal (a pseudo-terminal made by script(1)): the adapter line and no warning.
    const tty = spawnSync('script', ['-qec', `${process.execPath} ${compiledCli()} info`, '/dev/null'], { encoding: 'utf8' });
    expect(tty.status).toBe(0);
    expect(tty.stdout).toMatch(/^adapter /m);
    expect(tty.stdout).not.toMatch(/artificially reduced/);
    // Unfiltered on request: the lines are Dawn's own (this is what the filter removes).
    const raw = spawnSync(process.execPath, [compiledCli(), 'info'], { encoding: 'utf8', env: { ...process.env, ALSEG_DAWN_WARNINGS: '1' } });
    expect(raw.stderr).toMatch(/artificially reduced/);
  });
});
