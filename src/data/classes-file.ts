// classes.json: the class names and colours of a folder of plain images, written by the user.
//   { "classes": [ { "name": "road", "colour": [128, 64, 128] }, { "name": "sky", "colour": "#4682b4" } ] }
// Checked field by field, so a typo is reported with the file and the class it is in.
import { DataError } from './errors.js';
import { readFileOrThrow } from './png.js';

export interface ClassesFile {
  names: string[];
  /** RGB triples, one per class. */
  palette: Uint8Array;
}

/** Class answers travel as 32-bit masks (oracle.ts answerBitmasks). */
export const MAX_CLASSES = 32;

function colourOf(file: string, where: string, v: unknown): [number, number, number] {
  if (typeof v === 'string') {
    const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(v);
    if (!m) throw new DataError(file, `${where}: colour "${v}" is not #rrggbb`);
    return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
  }
  if (Array.isArray(v) && v.length === 3 && v.every((c) => Number.isInteger(c) && c >= 0 && c <= 255)) return v as [number, number, number];
  throw new DataError(file, `${where}: colour must be [r, g, b] with integers 0..255 or "#rrggbb", got ${JSON.stringify(v)}`);
}

export function parseClassesFile(file: string, text: string): ClassesFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DataError(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const list = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as { classes?: unknown }).classes : undefined;
  if (!Array.isArray(list)) throw new DataError(file, 'expected an object { "classes": [ { "name": ..., "colour": [r, g, b] }, ... ] }');
  if (list.length < 2 || list.length > MAX_CLASSES) throw new DataError(file, `needs 2 to ${MAX_CLASSES} classes, has ${list.length}`);
  const names: string[] = [];
  const palette = new Uint8Array(list.length * 3);
  list.forEach((c: unknown, i) => {
    const where = `class ${i}`;
    if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new DataError(file, `${where}: expected { "name": ..., "colour": ... }, got ${JSON.stringify(c)}`);
    const { name, colour, color } = c as { name?: unknown; colour?: unknown; color?: unknown };
    if (typeof name !== 'string' || name.trim() === '') throw new DataError(file, `${where}: "name" must be a non-empty string`);
    if (names.includes(name)) throw new DataError(file, `${where}: name "${name}" appears twice`);
    if (colour === undefined && color === undefined) throw new DataError(file, `${where} ("${name}"): missing "colour"`);
    palette.set(colourOf(file, `${where} ("${name}")`, colour ?? color), 3 * i);
    names.push(name);
  });
  return { names, palette };
}

export function readClassesFile(file: string): ClassesFile {
  return parseClassesFile(file, readFileOrThrow(file).toString('utf8'));
}
