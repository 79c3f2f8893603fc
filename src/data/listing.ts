import { readdirSync, statSync } from 'node:fs';
import { DataError, describeError, errnoCode } from './errors.js';

/** Directory entries, sorted, with a DataError naming the directory when it is missing or unreadable. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') throw new DataError(dir, 'missing directory');
    if (code === 'ENOTDIR') throw new DataError(dir, 'is a file, expected a directory');
    throw new DataError(dir, `cannot list (${describeError(err)})`);
  }
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
