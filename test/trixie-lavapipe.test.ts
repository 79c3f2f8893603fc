// scripts/trixie-lavapipe.sh, run as a user types it: its refusals (which build nothing), and, where
// this checkout already holds the Debian 13 userland (.cache/trixie, built by a first run of the
// script as root on Debian 12), `alseg info` inside it on Mesa 26 with the toggle passed through.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './cli-process.js';

const SCRIPT = join(REPO, 'scripts', 'trixie-lavapipe.sh');
const script = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync('bash', [SCRIPT, ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

const root = process.getuid?.() === 0;
const codename = existsSync('/etc/os-release') ? (/^VERSION_CODENAME=(.*)$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '') : '';
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;

describe('scripts/trixie-lavapipe.sh', () => {
  it('--help prints the usage; no command, or an unknown option, is refused by name', () => {
    const help = script(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/bash scripts\/trixie-lavapipe\.sh \[--dir DIR\] \[--bind PATH\]\.\.\. -- COMMAND/);
    const none = script([]);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/trixie-lavapipe: no command given \(after --\)/);
    const bogus = script(['--fast', '--', 'true']);
    expect(bogus.status).toBe(1);
    expect(bogus.stderr).toMatch(/unknown option '--fast'/);
    const missing = script(['--bind', '/no/such/folder', '--', 'true']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(root ? /--bind \/no\/such\/folder: no such file or directory/ : /needs root/);
  });

  it('refuses a --dir that is neither empty nor a Debian userland, and writes nothing there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'alseg-trixie-'));
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    const r = script(['--dir', dir, '--', 'true']);
    expect(r.status).toBe(1);
    if (!root) expect(r.stderr).toMatch(/needs root/);
    else if (!hasApt) expect(r.stderr).toMatch(/needs a Debian host with apt-get/);
    else expect(r.stderr).toMatch(new RegExp(`${dir} is neither empty nor a Debian userland: choose another --dir`));
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });

  const ready = join(REPO, '.cache', 'trixie', '.alseg-trixie-ready');
  const runnable = root && codename === 'bookworm' && existsSync(ready) && existsSync(join(REPO, 'dist', 'cli.js'));
  if (!runnable) {
    console.log(`skipped: alseg info on Debian 13's lavapipe needs root on Debian 12 with the userland built (bash scripts/trixie-lavapipe.sh -- true) and dist/ built; here root=${root}, host=${codename || 'unknown'}, userland ${existsSync(ready) ? 'built' : 'absent'}`);
  }
  it.runIf(runnable)('runs alseg info in the userland: Mesa 26, the toggle in force, nothing left mounted', () => {
    const r = script(['--', 'node', 'dist/cli.js', 'info'], { ALSEG_DAWN_FEATURES: 'disable_robustness' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^adapter +llvmpipe: Mesa 26\./m);
    expect(r.stdout).toMatch(/^dawn toggles disable_robustness \(ALSEG_DAWN_FEATURES\)$/m);
    expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(join(REPO, '.cache', 'trixie'));
    // A failing command's status comes back, and the mounts go all the same.
    const failed = script(['--', 'sh', '-c', 'exit 3']);
    expect(failed.status).toBe(3);
    expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(join(REPO, '.cache', 'trixie'));
  });
});
