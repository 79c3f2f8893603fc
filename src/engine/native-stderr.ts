// Dawn writes two lines to the process's stderr from native code while it reads a Vulkan adapter's
// limits ("maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 ...",
// the same for storage buffers): lavapipe reports a million dynamic buffers, Dawn keeps 16, and
// neither the limits alseg requests nor any Dawn toggle avoids the message (docs/engine.md, "Dawn's
// adapter warnings"). They are noise that hides the lines that matter, so while the adapter is
// opened, file descriptor 2 points at a temporary file; afterwards every line it caught is written
// to the real stderr except exactly those two. Linux only (it reopens the stream through /proc);
// elsewhere, or with ALSEG_DAWN_WARNINGS=1, nothing is caught.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The lines dropped: Dawn's clamp of the dynamic-buffer limits, and nothing else. */
export const DAWN_LIMIT_CLAMP = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;

/** Lines of `text` without those matching `drop` (the last line kept whole, with or without its newline). */
export function withoutLines(text: string, drop: RegExp): string {
  return text
    .split(/(?<=\n)/)
    .filter((line) => !drop.test(line.replace(/\r?\n$/, '')))
    .join('');
}

/** Runs `fn` with native writes to fd 2 caught, then replays them without the lines `drop` matches. */
export async function filteringNativeStderr<T>(drop: RegExp, fn: () => Promise<T>): Promise<T> {
  if (process.platform !== 'linux' || process.env.ALSEG_DAWN_WARNINGS === '1' || !existsSync('/proc/self/fd/2')) return fn();
  // Descriptors 0 and 1 must be open, so that the lowest free one is 2 when it is closed.
  const open = (fd: number) => {
    try {
      fstatSync(fd);
      return true;
    } catch {
      return false;
    }
  };
  if (!open(0) || !open(1)) return fn();
  let saved: number;
  try {
    // A second handle on whatever stderr is (terminal, pipe, file); a socket cannot be reopened.
    saved = openSync('/proc/self/fd/2', 'a');
  } catch {
    return fn();
  }
  const file = join(tmpdir(), `alseg-stderr-${process.pid}-${Date.now()}.txt`);
  closeSync(2);
  // The lowest free descriptor: 2 again, now the temporary file.
  const caught = openSync(file, 'w+');
  if (caught !== 2) {
    closeSync(caught);
    openSync(`/proc/self/fd/${saved}`, 'a');
    closeSync(saved);
    rmSync(file, { force: true });
    return fn();
  }
  try {
    return await fn();
  } finally {
    closeSync(2);
    openSync(`/proc/self/fd/${saved}`, 'a');
    closeSync(saved);
    const text = readFileSync(file, 'utf8');
    rmSync(file, { force: true });
    const kept = withoutLines(text, drop);
    if (kept) writeSync(2, kept);
  }
}
