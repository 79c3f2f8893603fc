// Reads a JSON file of a run directory, naming the file in any error.
import { readFileSync } from 'node:fs';

export function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${file}: cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
}
