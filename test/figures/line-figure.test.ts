// The figure module: seeds folded into a line with a band, the Vega-Lite spec of panels of lines
// (checked in its data and encodings), and its SVG and PNG with real text.
import { describe, expect, it } from 'vitest';
import { lineFigureSpec, type LineFigure } from '../../src/figures/line-figure.js';
import { PNG_SCALE, renderFigure } from '../../src/figures/render.js';
import { seedBands } from '../../src/figures/seed-bands.js';
import { rowsCsv } from '../../src/figures/figure-files.js';
import { decodePng, textPixels } from './text-pixels.js';

type Layer = { mark: { type: string }; data?: { values: object[] }; encoding: Record<string, Record<string, unknown>> };

describe('seed bands', () => {
  it('folds seeds into mean, min, max and sample std per (panel, series, round), clicks averaged', () => {
    const rows = seedBands([
      { panel: 'A', series: 'm', seed: 0, round: 1, clicks: 100, miou: 10 },
      { panel: 'A', series: 'm', seed: 1, round: 1, clicks: 110, miou: 14 },
      { panel: 'A', series: 'm', seed: 2, round: 1, clicks: 120, miou: 18 },
      { panel: 'A', series: 'd', seed: 0, round: 1, clicks: 100, miou: 20 },
      { panel: 'A', series: 'd', seed: 1, round: 1, clicks: 100, miou: NaN }, // not measured: left out
    ]);
    expect(rows).toEqual([
      { panel: 'A', series: 'm', round: 1, clicks: 110, miou: 14, miou_min: 10, miou_max: 18, miou_std: 4, seeds: 3 },
      { panel: 'A', series: 'd', round: 1, clicks: 100, miou: 20, miou_min: 20, miou_max: 20, miou_std: 0, seeds: 1 },
    ]);
  });

  it('writes rows as CSV with quoting', () => {
    expect(rowsCsv([{ panel: '(a) MP, PP', miou: 1 / 3 }, { panel: 'say "x"', miou: 2 }])).toBe('panel,miou\n"(a) MP, PP",0.333333\n"say ""x""",2\n');
  });
});

describe('line figure', () => {
  const figure: LineFigure = {
    title: 'test figure',
    subtitle: ['a subtitle line'],
    rows: [
      { panel: 'Random', series: 'multi-class', clicks: 100, miou: 20, lo: 18, hi: 22 },
      { panel: 'Random', series: 'multi-class', clicks: 200, miou: 25, lo: 24, hi: 27 },
      { panel: 'Random', series: 'dominant', clicks: 100, miou: 15, lo: 15, hi: 15 },
      { panel: 'PixBal', series: 'dominant', clicks: 100, miou: 30, lo: 28, hi: 31 },
    ],
    x: { field: 'clicks', title: 'clicks axis' },
    y: { field: 'miou', title: 'mIoU axis' },
    series: { field: 'series', title: 'labels', order: ['multi-class', 'dominant'] },
    panel: { field: 'panel', order: ['Random', 'PixBal'] },
    band: { lo: 'lo', hi: 'hi' },
    reference: { value: 40, label: 'reference line' },
  };

  it('is a facet of layers: band, lines in the given colour order, one dashed rule per panel', () => {
    const spec = lineFigureSpec(figure) as unknown as { data: { values: object[] }; facet: { field: string; sort: string[] }; columns: number; spec: { layer: Layer[] } };
    expect(spec.data.values).toEqual(figure.rows);
    expect(spec.facet).toMatchObject({ field: 'panel', sort: ['Random', 'PixBal'] });
    expect(spec.columns).toBe(2);
    const [band, line, rule] = spec.spec.layer;
    expect(band.mark.type).toBe('area');
    expect(band.encoding.y.field).toBe('lo');
    expect(band.encoding.y2.field).toBe('hi');
    expect(line.mark.type).toBe('line');
    expect(line.encoding.x.field).toBe('clicks');
    expect(line.encoding.y).toMatchObject({ field: 'miou', title: 'mIoU axis' });
    expect(line.encoding.color).toMatchObject({ field: 'series', scale: { domain: ['multi-class', 'dominant'] } });
    expect(rule.mark.type).toBe('rule');
    expect(rule.data!.values).toEqual([{ reference: 40, what: 'reference line' }]);
    expect(rule.encoding.y.field).toBe('reference');
    expect(rule.encoding.strokeDash).toMatchObject({ field: 'what', scale: { range: [[6, 4]] } });
  });

  it('without panels, band or reference: one view of lines', () => {
    const spec = lineFigureSpec({ ...figure, panel: undefined, band: undefined, reference: undefined }) as unknown as { facet?: unknown; layer: Layer[] };
    expect(spec.facet).toBeUndefined();
    expect(spec.layer.map((l) => l.mark.type)).toEqual(['line']);
  });

  it('renders to SVG with its titles and legend, and to a PNG with the text drawn', async () => {
    const { svg, png } = await renderFigure(lineFigureSpec(figure));
    for (const text of ['test figure', 'a subtitle line', 'clicks axis', 'mIoU axis', 'labels', 'multi-class', 'dominant', 'reference line', 'Random', 'PixBal']) expect(svg).toContain(`>${text}<`);
    const [, w, h] = /^<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg)!.map(Number);
    const img = decodePng(png);
    expect([img.width, img.height]).toEqual([w * PNG_SCALE, h * PNG_SCALE]);
    // Ten labels and titles at 11-14 px, twice the size: thousands of dark pixels; none without a font.
    expect(textPixels(svg, img)).toBeGreaterThan(3000);
  });
});
