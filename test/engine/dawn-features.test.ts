// ALSEG_DAWN_FEATURES (src/engine/dawn-features.ts): the allowed Dawn toggles parsed, anything else
// refused by name; and `alseg info`, run as a user types it, printing the toggles in force or
// stopping with the error.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DAWN_FEATURES, dawnCreateFlags, dawnFeatures } from '../../src/engine/dawn-features.js';
import { compiledCli } from '../cli-build.js';

describe('ALSEG_DAWN_FEATURES', () => {
  it('unset or empty: no toggles, create() gets no flags', () => {
    expect(dawnFeatures({})).toEqual([]);
    expect(dawnFeatures({ ALSEG_DAWN_FEATURES: '' })).toEqual([]);
    expect(dawnFeatures({ ALSEG_DAWN_FEATURES: ' ' })).toEqual([]);
    expect(dawnCreateFlags([])).toEqual([]);
  });

  it('allowed names, comma-separated, spaces trimmed, each once, in order', () => {
    expect(dawnFeatures({ ALSEG_DAWN_FEATURES: 'disable_robustness' })).toEqual(['disable_robustness']);
    const both = dawnFeatures({ ALSEG_DAWN_FEATURES: ' disable_workgroup_init, disable_robustness,disable_workgroup_init' });
    expect(both).toEqual(['disable_workgroup_init', 'disable_robustness']);
    expect(dawnCreateFlags(both)).toEqual(['enable-dawn-features=disable_workgroup_init,disable_robustness']);
    expect(Object.keys(DAWN_FEATURES).sort()).toEqual(['disable_robustness', 'disable_workgroup_init']);
  });

  it('refuses an unknown toggle, a misspelt one and an empty name, naming each and the allowed ones', () => {
    const refused = (v: string) => () => dawnFeatures({ ALSEG_DAWN_FEATURES: v });
    expect(refused('skip_validation')).toThrow(/ALSEG_DAWN_FEATURES=skip_validation: 'skip_validation' not allowed; alseg passes only disable_robustness, disable_workgroup_init/);
    expect(refused('disable_robustness,Disable-Robustness')).toThrow(/'Disable-Robustness' not allowed/);
    expect(refused('disable_robustness,,')).toThrow(/an empty name, an empty name not allowed/);
    // A Dawn flag smuggled through the list does not pass either.
    expect(refused('disable_robustness,allow_unsafe_apis')).toThrow(/'allow_unsafe_apis' not allowed/);
  });
});

describe('alseg info with ALSEG_DAWN_FEATURES', () => {
  const info = (value: string | undefined) =>
    spawnSync(process.execPath, [compiledCli(), 'info'], { env: { ...process.env, ALSEG_DAWN_FEATURES: value }, encoding: 'utf8' });

  it('prints the toggles in force, or none', () => {
    const on = info('disable_robustness');
    expect(on.status, on.stderr).toBe(0);
    expect(on.stdout).toMatch(/^dawn toggles disable_robustness \(ALSEG_DAWN_FEATURES\)$/m);
    const off = info(undefined);
    expect(off.status, off.stderr).toBe(0);
    expect(off.stdout).toMatch(/^dawn toggles \(none; /m);
  });

  it('an unknown toggle stops it before Dawn starts, with the name in the error', () => {
    const bad = info('disable_robustnes');
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/error: ALSEG_DAWN_FEATURES=disable_robustnes: 'disable_robustnes' not allowed/);
  });
});
