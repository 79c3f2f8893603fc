// A Vega-Lite spec of lines against a quantitative x: one panel, or one panel per value of a
// field (a facet), a series per colour, an optional band around each line and an optional dashed
// horizontal reference. Every figure of alseg is one of these; the rows go into the spec inline,
// so the .vl.json renders as it is in any Vega-Lite tool (the Vega project's online editor, vl-convert).
import type { TopLevelSpec } from 'vega-lite';

/** One row of a figure's data: field name -> value (also a row of the figure's CSV). */
export type FigureRow = Record<string, string | number>;

export interface LineFigure {
  title: string;
  /** Lines under the title: what the line, the band and the dashed line are. */
  subtitle?: string[];
  rows: FigureRow[];
  /** independent (with panels): each panel its own scale (loss curves of two stages of different lengths and sizes). */
  x: { field: string; title: string; independent?: boolean };
  y: { field: string; title: string; independent?: boolean };
  /** A line per value, coloured in this order (the same series get the same colour in every figure). */
  series: { field: string; title: string; order: readonly string[] };
  /** A panel per value, in this order, `columns` to a row (default: up to 5 in one row, else rows of at most 4). */
  panel?: { field: string; order: readonly string[]; columns?: number };
  /** An area from field `lo` to field `hi` behind each line, in its colour (the subtitle says what it spans). */
  band?: { lo: string; hi: string };
  /** A dashed horizontal line in every panel, with its legend entry. */
  reference?: { value: number; label: string };
  /** Points on the lines (off for dense curves). */
  points?: boolean;
  /** Size of one panel's plot area in px. */
  width?: number;
  height?: number;
}

const FONT = 'DejaVu Sans, Verdana, sans-serif';

/** The Vega-Lite spec of `f` (data inline). */
export function lineFigureSpec(f: LineFigure): TopLevelSpec {
  // Five ticks: vega measures text by an estimate here (no canvas), wide enough that denser labels are thinned.
  const x = { field: f.x.field, type: 'quantitative', title: f.x.title, scale: { zero: false }, axis: { tickCount: 5 } } as const;
  const colour = { field: f.series.field, type: 'nominal', title: f.series.title, scale: { domain: [...f.series.order] }, sort: [...f.series.order] } as const;
  const layers: object[] = [];
  if (f.band) {
    layers.push({
      mark: { type: 'area', opacity: 0.18 },
      encoding: { x, y: { field: f.band.lo, type: 'quantitative', title: f.y.title }, y2: { field: f.band.hi }, color: colour },
    });
  }
  layers.push({
    mark: { type: 'line', point: f.points ?? true, strokeWidth: 2 },
    encoding: { x, y: { field: f.y.field, type: 'quantitative', title: f.y.title }, color: colour },
  });
  if (f.reference) {
    // Its own one-row data: one rule per panel, not one per row of the figure's data.
    layers.push({
      data: { values: [{ reference: f.reference.value, what: f.reference.label }] },
      mark: { type: 'rule', strokeWidth: 1.5, color: '#444' },
      encoding: {
        y: { field: 'reference', type: 'quantitative' },
        strokeDash: { field: 'what', type: 'nominal', title: null, scale: { range: [[6, 4]] }, legend: { symbolStrokeColor: '#444' } },
      },
    });
  }
  const size = { width: f.width ?? 230, height: f.height ?? 180 };
  const head = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: f.title, subtitle: f.subtitle, anchor: 'start' },
    config: { font: FONT, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 400, orient: 'bottom', direction: 'horizontal', symbolType: 'stroke', symbolStrokeWidth: 3, symbolSize: 300, symbolOpacity: 1, titleOrient: 'left', titleAnchor: 'end' }, header: { labelFontSize: 12 }, title: { fontSize: 14, subtitleFontSize: 11 } },
    data: { values: f.rows },
  };
  const resolve = { scale: { ...(f.x.independent ? { x: 'independent' } : {}), ...(f.y.independent ? { y: 'independent' } : {}) } };
  if (!f.panel) return { ...head, ...size, layer: layers } as TopLevelSpec;
  const n = f.panel.order.length;
  return {
    ...head,
    facet: { field: f.panel.field, type: 'nominal', title: null, sort: [...f.panel.order], header: { labelFontWeight: 'bold' } },
    columns: f.panel.columns ?? (n <= 5 ? n : Math.ceil(n / Math.ceil(n / 4))),
    spec: { ...size, layer: layers },
    ...(Object.keys(resolve.scale).length ? { resolve } : {}),
  } as TopLevelSpec;
}
