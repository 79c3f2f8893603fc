// A figure on disk, four files under one name: <name>.vl.json (the Vega-Lite spec, its data
// inline), <name>.csv (the same rows, for other tools), <name>.svg and <name>.png. A reader restyles
// the spec and renders it with any Vega-Lite tool; alseg rewrites all four from the records.
import { join } from 'node:path';
import { writeFileAtomic } from '../data/atomic-write.js';
import { lineFigureSpec, type FigureRow, type LineFigure } from './line-figure.js';
import { renderFigure } from './render.js';

/** The four files' names for `name` ('results-fig4' -> results-fig4.png, ...). */
export function figureFiles(name: string): { spec: string; csv: string; svg: string; png: string } {
  return { spec: `${name}.vl.json`, csv: `${name}.csv`, svg: `${name}.svg`, png: `${name}.png` };
}

/** Writes the figure's spec, data, SVG and PNG into `dir`; returns the file names. */
export async function writeLineFigure(dir: string, name: string, f: LineFigure): Promise<ReturnType<typeof figureFiles>> {
  const files = figureFiles(name);
  const spec = lineFigureSpec(f);
  const { svg, png } = await renderFigure(spec);
  writeFileAtomic(join(dir, files.spec), JSON.stringify(spec, null, 2) + '\n');
  writeFileAtomic(join(dir, files.csv), rowsCsv(f.rows));
  writeFileAtomic(join(dir, files.svg), svg);
  writeFileAtomic(join(dir, files.png), png);
  return files;
}

/** Rows as CSV (RFC 4180 quoting), columns in the order of the first row's fields. */
export function rowsCsv(rows: readonly FigureRow[]): string {
  const head = rows.length ? Object.keys(rows[0]) : [];
  const cell = (v: string | number | undefined) => {
    const s = v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? '' : typeof v === 'number' ? String(+v.toFixed(6)) : v;
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [head.join(','), ...rows.map((r) => head.map((k) => cell(r[k])).join(','))].join('\n') + '\n';
}
