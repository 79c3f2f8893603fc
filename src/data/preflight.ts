// The data check `train` and `experiment` run before any training: every image and label of the
// splits a run reads is opened and validated once, in worker threads, and every problem is listed
// at once (as `alseg data check` does), so a corrupt file in the val split stops the run before
// hours of stage-1 training rather than at the first evaluation. Samples that passed are remembered
// by their files' size and mtime, so a second start checks only what changed.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { writeFileAtomic } from './atomic-write.js';
import { attempt, sampleProblems, type CheckProgress, type DataProblem } from './check.js';
import type { CheckJob, CheckReply } from './check-worker.js';
import type { DatasetKind, Sample } from './dataset.js';
import { openDataset } from './open-dataset.js';

export interface PreflightResult {
  problems: DataProblem[];
  /** Samples listed per split. */
  samples: Record<string, number>;
  /** Samples read and validated now; the others passed before and have not changed since. */
  checked: number;
  fromCache: number;
}

export interface PreflightOptions {
  /** Folder of the cache of samples that passed (default .cache/data-check). */
  cacheDir?: string;
  onProgress?: (p: CheckProgress) => void;
  /** Worker threads; 0 checks on the main thread. Default: one per core, when the compiled worker exists. */
  workers?: number;
}

/** Raised when the data check finds problems: all of them, and the command that lists them again. */
export class DataCheckError extends Error {
  constructor(
    readonly problems: DataProblem[],
    readonly command: string,
  ) {
    const shown = problems.slice(0, 50).map((p) => `  ${p.file}: ${p.problem}`);
    if (problems.length > 50) shown.push(`  ... and ${problems.length - 50} more`);
    super(`the data check found ${problems.length} problem(s); nothing was trained:\n${shown.join('\n')}\nSee them again with: ${command}`);
    this.name = 'DataCheckError';
  }
}

type Stamp = [number, number, number, number];

interface CacheFile {
  version: 1;
  /** Passed samples: "imagePath\nlabelPath" -> sizes and mtimes of both files. */
  passed: Record<string, Stamp>;
}

function stampOf(sample: Sample): Stamp | null {
  try {
    const a = statSync(sample.imagePath);
    // A folder's pool has no label file.
    if (sample.labelPath === '') return [a.size, a.mtimeMs, 0, 0];
    const b = statSync(sample.labelPath);
    return [a.size, a.mtimeMs, b.size, b.mtimeMs];
  } catch {
    return null;
  }
}

const sameStamp = (a: Stamp | undefined, b: Stamp | null) => !!a && !!b && a.every((v, i) => v === b[i]);

export function preflightCacheFile(kind: DatasetKind, root: string, cacheDir = join('.cache', 'data-check')): string {
  const hash = createHash('sha256').update(JSON.stringify([kind, resolve(root)])).digest('hex').slice(0, 12);
  return join(cacheDir, `${kind}-${hash}.json`);
}

function readCache(file: string): CacheFile {
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
    if (c.version === 1 && c.passed && typeof c.passed === 'object') return c;
  } catch {
    // Missing or unreadable: start afresh (the cache only ever saves work).
  }
  return { version: 1, passed: {} };
}

export async function preflightCheck(kind: DatasetKind, root: string, splits: readonly string[], options: PreflightOptions = {}): Promise<PreflightResult> {
  const problems: DataProblem[] = [];
  const samples: Record<string, number> = {};
  const cacheFile = preflightCacheFile(kind, root, options.cacheDir);
  const cache = readCache(cacheFile);
  const todo: { sample: Sample; split: string; key: string; stamp: Stamp | null }[] = [];
  let fromCache = 0;
  let numClasses = 0;
  for (const split of splits) {
    const ds = attempt(problems, root, () => openDataset(kind, root, split));
    samples[split] = ds?.samples.length ?? 0;
    numClasses = ds?.numClasses ?? numClasses;
    for (const sample of ds?.samples ?? []) {
      const key = `${resolve(sample.imagePath)}\n${resolve(sample.labelPath)}`;
      const stamp = stampOf(sample);
      if (sameStamp(cache.passed[key], stamp)) fromCache++;
      else todo.push({ sample, split, key, stamp });
    }
  }
  const found: DataProblem[][] = new Array(todo.length);
  let done = 0;
  const settle = (i: number, p: DataProblem[]) => {
    found[i] = p;
    done++;
    options.onProgress?.({ split: todo[i].split, done: fromCache + done, total: fromCache + todo.length });
  };
  const url = new URL('./check-worker.js', import.meta.url);
  const canUseWorkers = existsSync(fileURLToPath(url));
  const workers = Math.min(options.workers ?? (canUseWorkers ? availableParallelism() : 0), Math.ceil(todo.length / 4));
  if (workers > 0 && canUseWorkers) {
    // Interleaved shares, so each worker gets images from every split.
    await Promise.all(
      Array.from({ length: workers }, (_, w) => {
        const mine = todo.map((_, i) => i).filter((i) => i % workers === w);
        const job: CheckJob = { kind, numClasses, samples: mine.map((i) => todo[i].sample) };
        return new Promise<void>((res, rej) => {
          const worker = new Worker(url, { workerData: job });
          worker.on('message', (m: CheckReply) => settle(mine[m.index], m.problems));
          worker.on('error', rej);
          worker.on('exit', () => res());
        });
      }),
    );
  } else {
    for (let i = 0; i < todo.length; i++) {
      settle(i, sampleProblems(kind, todo[i].sample, numClasses));
      // Lets a progress line render between samples.
      if (i % 8 === 7) await new Promise<void>((res) => setImmediate(res));
    }
  }
  todo.forEach((t, i) => {
    if (found[i] === undefined) found[i] = [{ file: t.sample.imagePath, problem: 'not checked (a check worker stopped early)' }];
    if (found[i].length === 0 && t.stamp) cache.passed[t.key] = t.stamp;
    problems.push(...found[i]);
  });
  if (todo.length) writeFileAtomic(cacheFile, JSON.stringify(cache));
  return { problems, samples, checked: todo.length, fromCache };
}
