// The command line compiled from the current sources, for tests that run it as a child process the
// way a user types it. Compiled once per test process into .cache/cli-test (incremental: a rerun
// recompiles only what changed).
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

let built: string | null = null;

/** Path of cli.js compiled from src/ (compiles on first use). */
export function compiledCli(): string {
  if (built) return built;
  const out = resolve('.cache/cli-test');
  execFileSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--outDir', out, '--incremental', '--tsBuildInfoFile', join(out, '.tsbuildinfo')], { stdio: 'pipe' });
  built = join(out, 'cli.js');
  return built;
}

/** Runs `node cli.js ...args` in `cwd`; returns stdout and stderr together, or throws with them. */
export function runCli(args: string[], cwd: string): string {
  try {
    return execFileSync(process.execPath, [compiledCli(), ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`alseg ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}
