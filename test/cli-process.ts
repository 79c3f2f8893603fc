// Runs `node dist/cli.js ...` as a child process, the way a user types it, optionally sending a
// signal when a line of its output matches (a kill at a known point of the run).
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(REPO, 'dist', 'cli.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  /** Whether the requested signal was sent (the matching line appeared). */
  signalled: boolean;
}

export interface KillAt {
  /** A line of stdout/stderr that triggers the signal. */
  line: RegExp;
  /** Milliseconds to wait after the line before signalling. */
  delayMs?: number;
  signal?: NodeJS.Signals;
}

export function runCli(args: string[], options: { killAt?: KillAt; afterMs?: { ms: number; signal: NodeJS.Signals }; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? REPO, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    options.onSpawn?.(child);
    let output = '';
    let pending = '';
    let signalled = false;
    const send = (signal: NodeJS.Signals) => {
      if (signalled) return;
      signalled = true;
      child.kill(signal);
    };
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      const k = options.killAt;
      if (k && !signalled && lines.some((l) => k.line.test(l))) {
        const signal = k.signal ?? 'SIGKILL';
        if (k.delayMs) setTimeout(() => send(signal), k.delayMs);
        else send(signal);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    if (options.afterMs) {
      const { ms, signal } = options.afterMs;
      setTimeout(() => send(signal), ms);
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`alseg ${args.join(' ')}: no exit after ${options.timeoutMs ?? 120_000} ms\n${output}`));
    }, options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, signalled });
    });
  });
}
