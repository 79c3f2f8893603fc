// The Kubernetes manifests of docs/cluster.md, without a cluster: the indexed Job's --shards equals its
// completions, every Job mounts the one shared volume where it works, and the grid Job's container
// command, run here as Kubernetes runs it in each pod (JOB_COMPLETION_INDEX set), makes pod k a
// worker of shard k/n that takes its shard's runs first (--dry-run: it prints its order and runs
// nothing). The Slurm scripts are run for real in slurm-array.test.ts. Also: --shard auto outside
// any scheduler says what it expected.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli-build.js';
import { REPO } from '../cli-process.js';
import { GRIDS, runName } from '../../src/experiments/experiment.js';

const manifest = (name: string) => readFileSync(join(REPO, 'scripts/cluster', name), 'utf8');
/** A field's value on its own line (`key: value`, the value up to a comment). */
const field = (text: string, key: string): string[] => [...text.matchAll(new RegExp(`^\\s*-?\\s*${key}: ([^#\\n]*?)\\s*(#.*)?$`, 'gm'))].map((m) => m[1]);
/** The container's command and args: one-line flow sequences of strings, which are JSON. */
const list = (text: string, key: 'command' | 'args'): string[] => JSON.parse(field(text, key)[0]) as string[];

describe('the Kubernetes manifests', () => {
  const grid = manifest('k8s-grid.yaml');
  const volume = manifest('k8s-volume.yaml');
  const others = ['k8s-prepare.yaml', 'k8s-report.yaml'].map(manifest);

  it('share one volume, mounted where each Job works, and the grid Job is indexed with --shards = completions', () => {
    const claim = field(volume, 'name')[0];
    expect(field(volume, 'kind')).toEqual(['PersistentVolumeClaim']);
    expect(volume).toMatch(/accessModes: \["ReadWriteMany"\]/);
    for (const m of [grid, ...others]) {
      expect(field(m, 'claimName')).toEqual([claim]);
      expect(field(m, 'mountPath')).toEqual(field(m, 'workingDir'));
      expect(list(m, 'command')).toEqual(list(grid, 'command'));
      expect(field(m, 'image')).toEqual(field(grid, 'image'));
    }
    expect(field(grid, 'completionMode')).toEqual(['Indexed']);
    const args = list(grid, 'args');
    expect(args.slice(args.indexOf('--shard'), args.indexOf('--shard') + 2)).toEqual(['--shard', 'auto']);
    expect(args[args.indexOf('--shards') + 1]).toBe(field(grid, 'completions')[0]);
    // The prepare Job prepares the grid the grid Job runs; the report Job reports.
    expect(list(others[0], 'args')).toEqual(['experiment', args[1], '--prepare']);
    expect(list(others[1], 'args')).toEqual(['experiment', 'report']);
    expect(grid).toMatch(/nvidia\.com\/gpu: 1/);
  });

  it("make pod k a worker of shard k/n that takes its shard's runs first", () => {
    const cwd = mkdtempSync(join(tmpdir(), 'alseg-k8s-'));
    const args = list(grid, 'args');
    const n = Number(field(grid, 'completions')[0]);
    const runs = GRIDS[args[1]].runs().map(runName);
    for (let k = 0; k < n; k++) {
      process.env.JOB_COMPLETION_INDEX = String(k);
      let out: string;
      try {
        out = runCli([...args, '--dry-run', '--docs', join(cwd, 'docs')], cwd);
      } finally {
        delete process.env.JOB_COMPLETION_INDEX;
      }
      expect(out).toContain(`[${args[1]}] worker ${k}/${n} from JOB_COMPLETION_INDEX=${k} of ${n} completions`);
      const order = [...out.matchAll(/^ {2}(shard|help) +(\S+) {2}waiting$/gm)].map((m) => [m[1], m[2]]);
      const own = runs.filter((_, i) => i % n === k);
      expect(order).toEqual([...own.map((r) => ['shard', r]), ...runs.filter((r) => !own.includes(r)).map((r) => ['help', r])]);
    }
  });

  it('--shard auto outside a scheduler names the variables it looked for', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'alseg-k8s-'));
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('SLURM_') || k === 'JOB_COMPLETION_INDEX') delete process.env[k];
    try {
      expect(() => runCli(['experiment', 'table2', '--shard', 'auto', '--docs', 'x'], cwd)).toThrow(/--shard auto: no scheduler index in the environment: expected SLURM_ARRAY_TASK_ID .*JOB_COMPLETION_INDEX/);
      process.env.JOB_COMPLETION_INDEX = '1';
      expect(() => runCli(['experiment', 'table2', '--shard', 'auto', '--docs', 'x'], cwd)).toThrow(/pass --shards n \(the Job's spec.completions\) or set ALSEG_SHARDS/);
    } finally {
      Object.assign(process.env, env);
      if (env.JOB_COMPLETION_INDEX === undefined) delete process.env.JOB_COMPLETION_INDEX;
    }
  });
});
