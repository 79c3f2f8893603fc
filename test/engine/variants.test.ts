// Kernel-variant choice (src/engine/variants.ts) for adapters we cannot run here (no subgroups,
// NVIDIA's 32 lanes, AMD's 32-64, Intel's 8-32), the ALSEG_PORTABLE switch, and `alseg info`
// printing the choice and its reason, run as a user types it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chooseTuning, forcedPortable } from '../../src/engine/variants.js';

const CLI = 'dist/cli.js';

describe('kernel variants from the adapter', () => {
  it.each([
    ['no subgroups feature', { feature: false }],
    ['32-lane subgroups (NVIDIA)', { feature: true, minSize: 32, maxSize: 32 }],
    ['32-64-lane subgroups (AMD)', { feature: true, minSize: 32, maxSize: 64 }],
    ['8-32-lane subgroups (Intel)', { feature: true, minSize: 8, maxSize: 32 }],
    ['4-lane subgroups', { feature: true, minSize: 4, maxSize: 4 }],
    ['feature without sizes', { feature: true }],
  ])('%s: portable kernels, with the reason', (_, caps) => {
    const t = chooseTuning(caps, {});
    expect(t).toMatchObject({ matmul: 'portable', conv: 'portable', subgroup8: false });
    expect(t.reason).toMatch(/written for exactly 8 lanes|no 'subgroups' feature/);
  });

  it('exactly 8-lane subgroups: the subgroup kernels', () => {
    const t = chooseTuning({ feature: true, minSize: 8, maxSize: 8 }, {});
    expect(t).toMatchObject({ matmul: 'subgroup8', conv: 'subgroup8', subgroup8: true });
  });

  it('ALSEG_PORTABLE forces portable kernels on an 8-lane adapter', () => {
    const t = chooseTuning({ feature: true, minSize: 8, maxSize: 8 }, { ALSEG_PORTABLE: '1' });
    expect(t).toMatchObject({ matmul: 'portable', conv: 'portable', subgroup8: false });
    expect(t.reason).toMatch(/ALSEG_PORTABLE/);
    expect(['0', '', 'false', undefined].map((v) => forcedPortable({ ALSEG_PORTABLE: v }))).toEqual([false, false, false, false]);
  });

  it('a forced subgroup8 kernel where it cannot run, or an unknown name, is a clear error', () => {
    expect(() => chooseTuning({ feature: true, minSize: 32, maxSize: 32 }, { ALSEG_MATMUL: 'subgroup8' })).toThrow(/ALSEG_MATMUL=subgroup8 cannot run here: .*32-32 lanes/);
    expect(() => chooseTuning({ feature: true, minSize: 8, maxSize: 8 }, { ALSEG_CONV: 'subgroup8', ALSEG_PORTABLE: '1' })).toThrow(/ALSEG_CONV=subgroup8 cannot run here: ALSEG_PORTABLE/);
    expect(() => chooseTuning({ feature: false }, { ALSEG_CONV: 'fast' })).toThrow(/ALSEG_CONV=fast: expected 'portable' or 'subgroup8'/);
  });
});

describe('alseg info prints the kernel choice and why', () => {
  const info = (env: Record<string, string>) => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.json)`);
    return execFileSync(process.execPath, [CLI, 'info'], { env: { ...process.env, ALSEG_PORTABLE: '', ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  };
  it('as the adapter chooses, and forced portable', () => {
    const chosen = info({});
    expect(chosen).toMatch(/kernels +matmul (portable|subgroup8).*conv (portable|subgroup8)/);
    expect(chosen).toMatch(/because +adapter has (no 'subgroups' feature|subgroups of \d+-\d+ lanes)/);
    const forced = info({ ALSEG_PORTABLE: '1' });
    expect(forced).toMatch(/kernels +matmul portable.*conv portable/);
    expect(forced).toMatch(/because +ALSEG_PORTABLE is set/);
  });
});
