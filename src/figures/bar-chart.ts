// A grouped bar chart rendered straight to a PNG: groups along the x axis, one bar per series in
// each, the value printed above each bar, a legend; same look as line-chart.ts. For the annotation
// cost report (time per click per number of classes, dominant against multi-class).
import { encodeRgbPng } from '../data/png.js';
import { drawText, GLYPH_HEIGHT, GLYPH_WIDTH } from './font5x7.js';
import { COLOURS } from './line-chart.js';

export interface BarSeries {
  name: string;
  /** One value per group (null: no bar). */
  values: (number | null)[];
}

export function barChartPng(groups: readonly string[], series: readonly BarSeries[], o: { title: string; xLabel: string; yLabel: string; width?: number; height?: number; decimals?: number }): Buffer {
  const W = o.width ?? 800;
  const H = o.height ?? 500;
  const data = new Uint8Array(W * H * 3).fill(255);
  const rect = (x0: number, y0: number, x1: number, y1: number, c: readonly number[]) => {
    for (let y = Math.max(0, Math.round(Math.min(y0, y1))); y < Math.min(H, Math.round(Math.max(y0, y1))); y++) {
      for (let x = Math.max(0, Math.round(Math.min(x0, x1))); x < Math.min(W, Math.round(Math.max(x0, x1))); x++) data.set(c, (y * W + x) * 3);
    }
  };
  const text = (s: string, x: number, y: number, scale = 2) => drawText(s, x, y, scale, (px, py) => rect(px, py, px + 1, py + 1, [0, 0, 0]));
  const width = (s: string, scale = 2) => s.length * GLYPH_WIDTH * scale;
  const m = { l: 80, r: 230, t: 50, b: 60 };
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const yMaxRaw = Math.max(1e-9, ...values);
  // The finest step of 1, 2 or 5 times a power of ten that needs at most 8 grid lines.
  const pow = 10 ** Math.floor(Math.log10(yMaxRaw));
  const yStep = [0.1, 0.2, 0.5, 1, 2, 5, 10].map((k) => k * pow).find((s) => yMaxRaw / s <= 8)!;
  const yMax = Math.ceil(yMaxRaw / yStep) * yStep;
  const py = (y: number) => H - m.b - (y / yMax) * (H - m.t - m.b);
  text(o.title, (W - m.r + m.l) / 2 - width(o.title) / 2, 8);
  for (let y = 0; y <= yMax + yStep / 1e6; y += yStep) {
    rect(m.l, py(y), W - m.r, py(y) + 1, [225, 225, 225]);
    const label = String(+y.toFixed(4));
    text(label, m.l - 10 - width(label), py(y) - GLYPH_HEIGHT);
  }
  const slot = (W - m.l - m.r) / Math.max(1, groups.length);
  const bar = (slot * 0.7) / Math.max(1, series.length);
  groups.forEach((g, gi) => {
    const x0 = m.l + gi * slot + slot * 0.15;
    series.forEach((s, si) => {
      const v = s.values[gi];
      if (v === null || v === undefined) return;
      const bx = x0 + si * bar;
      rect(bx + 1, py(v), bx + bar - 1, py(0), COLOURS[si % COLOURS.length]!);
      const label = v.toFixed(o.decimals ?? 2);
      text(label, bx + bar / 2 - width(label, 1) / 2, py(v) - GLYPH_HEIGHT - 4, 1);
    });
    text(g, m.l + gi * slot + slot / 2 - width(g) / 2, H - m.b + 10);
  });
  rect(m.l, H - m.b, W - m.r, H - m.b + 1, [0, 0, 0]);
  rect(m.l, m.t, m.l + 1, H - m.b, [0, 0, 0]);
  text(o.xLabel, (W - m.r + m.l) / 2 - width(o.xLabel) / 2, H - 26);
  text(o.yLabel, 8, m.t - 28);
  series.forEach((s, k) => {
    const ly = m.t + 10 + k * 22;
    rect(W - m.r + 16, ly, W - m.r + 32, ly + 10, COLOURS[k % COLOURS.length]!);
    text(s.name, W - m.r + 38, ly);
  });
  return encodeRgbPng({ width: W, height: H, data });
}
