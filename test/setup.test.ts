// The setup step: on a machine that already has an adapter it installs nothing.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('scripts/setup.sh', () => {
  it('detects the existing adapter and does nothing (no apt-get, no install)', () => {
    const bin = mkdtempSync(join(tmpdir(), 'alseg-fakebin-'));
    const marker = join(bin, 'called');
    for (const tool of ['apt-get', 'apt']) {
      writeFileSync(join(bin, tool), `#!/bin/sh\necho "$0 $*" >> ${marker}\nexit 1\n`);
      chmodSync(join(bin, tool), 0o755);
    }
    const out = execFileSync('bash', ['scripts/setup.sh', '--adapter-only'], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      encoding: 'utf8',
    });
    expect(out).toMatch(/WebGPU adapter: .+; nothing to install/);
    expect(existsSync(marker)).toBe(false);
  });
});
