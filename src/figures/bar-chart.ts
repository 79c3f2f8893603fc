// A grouped bar chart as a Vega-Lite spec: groups along the x axis, one bar per series in each, the
// value printed above each bar, a legend. For the annotation cost report (time per click per number
// of classes, dominant against multi-class). Drawn by render.ts like every other figure.
import type { TopLevelSpec } from 'vega-lite';
import { renderFigure } from './render.js';

export interface BarSeries {
  name: string;
  /** One value per group (null: no bar). */
  values: (number | null)[];
}

export interface BarChart {
  title: string;
  xLabel: string;
  yLabel: string;
  decimals?: number;
}

/** The chart's rows (group, series, value) and its spec, the rows inline. */
export function barChartSpec(groups: readonly string[], series: readonly BarSeries[], o: BarChart): TopLevelSpec {
  const rows = series.flatMap((s) => groups.map((group, i) => ({ group, series: s.name, value: s.values[i] })).filter((r) => r.value !== null && r.value !== undefined));
  const x = { field: 'group', type: 'nominal' as const, title: o.xLabel, sort: [...groups], axis: { labelAngle: 0 } };
  const xOffset = { field: 'series', sort: series.map((s) => s.name) };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: o.title,
    width: 480,
    height: 300,
    data: { values: rows },
    encoding: { x, xOffset },
    layer: [
      { mark: 'bar', encoding: { y: { field: 'value', type: 'quantitative', title: o.yLabel }, color: { field: 'series', type: 'nominal', title: null, sort: series.map((s) => s.name) } } },
      { mark: { type: 'text', dy: -6 }, encoding: { y: { field: 'value', type: 'quantitative' }, text: { field: 'value', type: 'quantitative', format: `.${o.decimals ?? 2}f` } } },
    ],
  } as TopLevelSpec;
}

export async function barChartPng(groups: readonly string[], series: readonly BarSeries[], o: BarChart): Promise<Buffer> {
  return (await renderFigure(barChartSpec(groups, series, o))).png;
}
