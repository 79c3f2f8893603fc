// The import order of docs/architecture.md, checked against the code: every import of src/ (types,
// re-exports and dynamic imports included) must go to its own folder or to a floor below, and no
// files may import each other in a circle. The floors are read from the document itself, so the
// order is written once.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Files of src/ as paths relative to src, each with the src-relative files it imports. */
export type ImportGraph = Map<string, string[]>;

function sourceFiles(dir: string, root = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full, root);
    return name.endsWith('.ts') ? [relative(root, full)] : [];
  });
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]+)\1/gm;

function importGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of sourceFiles(root)) {
    const text = readFileSync(join(root, file), 'utf8');
    const targets = [...text.matchAll(SPECIFIER)].map((m) => normalize(join(dirname(file), m[2]!)).replace(/\.js$/, '.ts'));
    graph.set(file, targets);
  }
  return graph;
}

/** The floors, top first: each line of the ```floors block of docs/architecture.md is one floor. */
function readFloors(doc: string): string[][] {
  const block = /```floors\n([\s\S]*?)```/.exec(doc);
  if (!block) throw new Error('docs/architecture.md has no ```floors block');
  return block[1]!.trim().split('\n').map((line) => line.split('#')[0]!.trim().split(/\s+/)).filter((l) => l[0]);
}

/** A file's place: its top folder under src (or the file itself at the top level). */
const place = (file: string) => file.split('/')[0]!;

/** Every import against the order, and every circle, as lines naming the files. */
export function violations(graph: ImportGraph, floors: string[][]): string[] {
  const floorOf = new Map<string, number>();
  floors.forEach((names, i) => names.forEach((n) => floorOf.set(n, i)));
  const out: string[] = [];
  for (const [file, targets] of graph) {
    const from = floorOf.get(place(file));
    if (from === undefined) { out.push(`${file}: its folder ${place(file)} is on no floor of docs/architecture.md`); continue; }
    for (const target of targets) {
      if (!graph.has(target)) { out.push(`${file} imports ${target}, which is not a file of src/`); continue; }
      if (place(target) === place(file)) continue;
      const to = floorOf.get(place(target))!;
      if (to < from) out.push(`${file} imports ${target}: ${place(target)} is above ${place(file)}`);
      else if (to === from) out.push(`${file} imports ${target}: ${place(file)} and ${place(target)} share a floor and must not import each other`);
    }
  }
  // Circles: a depth-first walk; a back edge closes one.
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      if (!graph.has(t)) continue;
      if (state.get(t) === 'open') out.push(`circle: ${[...stack.slice(stack.indexOf(t)), t].join(' -> ')}`);
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);
  return out;
}

describe('architecture (docs/architecture.md)', () => {
  const graph = importGraph('src');
  const floors = readFloors(readFileSync('docs/architecture.md', 'utf8'));

  it('every folder of src/ is on a floor, and every floor is a folder of src/', () => {
    const places = new Set([...graph.keys()].map(place));
    expect([...places].sort()).toEqual(floors.flat().sort());
  });

  it('imports only go down, with no circle (types included)', () => {
    expect(violations(graph, floors)).toEqual([]);
  });

  it('names both files of a planted upward import, and of a planted circle', () => {
    const planted = new Map(graph);
    planted.set('data/png.ts', [...graph.get('data/png.ts')!, 'run/rounds.ts']);
    expect(violations(planted, floors)).toContain('data/png.ts imports run/rounds.ts: run is above data');
    const circle = new Map(graph);
    circle.set('al/pool.ts', [...graph.get('al/pool.ts')!, 'al/config.ts']);
    circle.set('al/config.ts', [...graph.get('al/config.ts')!, 'al/pool.ts']);
    expect(violations(circle, floors).some((v) => v.startsWith('circle:') && v.includes('al/pool.ts') && v.includes('al/config.ts'))).toBe(true);
  });

  it('reads type-only, re-export and dynamic imports', () => {
    const g = importGraph('src');
    expect(g.get('kernels/kernel.ts')).toContain('kernels/signature.ts'); // export type { ... } from
    expect(g.get('engine/autograd.ts')).toContain('engine/tensor.ts'); // import type
  });
});
