// A line chart rendered straight to a PNG (axes, grid, labelled ticks, a legend), for the
// experiment report and anything else that wants a picture without a plotting library.
import { encodeRgbPng } from '../data/png.js';
import { drawText, GLYPH_HEIGHT, GLYPH_WIDTH } from './font5x7.js';

export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

/** Series colours, in order (shared by the bar chart). */
export const COLOURS: [number, number, number][] = [
  [31, 119, 180], [214, 39, 40], [44, 160, 44], [255, 127, 14], [148, 103, 189], [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

export function lineChartPng(series: readonly Series[], o: { title: string; xLabel: string; yLabel: string; width?: number; height?: number }): Buffer {
  const W = o.width ?? 800;
  const H = o.height ?? 500;
  const data = new Uint8Array(W * H * 3).fill(255);
  const put = (x: number, y: number, c: readonly number[]) => {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= W || yi >= H) return;
    data.set(c, (yi * W + xi) * 3);
  };
  const line = (x0: number, y0: number, x1: number, y1: number, c: readonly number[], thick = 1) => {
    const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let i = 0; i <= n; i++) {
      const x = x0 + ((x1 - x0) * i) / n;
      const y = y0 + ((y1 - y0) * i) / n;
      for (let dx = -thick + 1; dx < thick; dx++) for (let dy = -thick + 1; dy < thick; dy++) put(x + dx, y + dy, c);
    }
  };
  const text = (s: string, x: number, y: number, c: readonly number[] = [0, 0, 0], scale = 2) => drawText(s, x, y, scale, (px, py) => put(px, py, c));
  const m = { l: 80, r: 230, t: 50, b: 60 };
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p.x));
  const yMaxRaw = Math.max(1, ...all.map((p) => p.y));
  const yStep = yMaxRaw > 50 ? 10 : yMaxRaw > 20 ? 5 : yMaxRaw > 8 ? 2 : 1;
  const yMax = Math.ceil(yMaxRaw / yStep) * yStep;
  const px = (x: number) => m.l + (x / xMax) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - (y / yMax) * (H - m.t - m.b);
  text(o.title, (W - m.r + m.l) / 2 - (o.title.length * GLYPH_WIDTH * 2) / 2, 8);
  for (let y = 0; y <= yMax + 1e-9; y += yStep) {
    line(m.l, py(y), W - m.r, py(y), [225, 225, 225]);
    const label = String(+y.toFixed(1));
    text(label, m.l - 10 - label.length * GLYPH_WIDTH * 2, py(y) - GLYPH_HEIGHT);
  }
  const xs = [...new Set(all.map((p) => p.x))].sort((a, b) => a - b);
  let lastTick = -Infinity;
  for (const x of xs) {
    // Series rarely spend exactly the same clicks: skip labels that would overlap the previous one.
    if (px(x) - lastTick < 48) continue;
    lastTick = px(x);
    const label = String(x);
    text(label, px(x) - (label.length * GLYPH_WIDTH * 2) / 2, H - m.b + 10);
  }
  line(m.l, H - m.b, W - m.r, H - m.b, [0, 0, 0]);
  line(m.l, m.t, m.l, H - m.b, [0, 0, 0]);
  text(o.xLabel, (W - m.r + m.l) / 2 - (o.xLabel.length * GLYPH_WIDTH * 2) / 2, H - 26);
  text(o.yLabel, 8, m.t - 28); // above the top tick label
  series.forEach((s, k) => {
    const c = COLOURS[k % COLOURS.length];
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    for (let i = 1; i < pts.length; i++) line(px(pts[i - 1].x), py(pts[i - 1].y), px(pts[i].x), py(pts[i].y), c, 2);
    for (const p of pts) for (let dx = -3; dx <= 3; dx++) for (let dy = -3; dy <= 3; dy++) put(px(p.x) + dx, py(p.y) + dy, c);
    const ly = m.t + 10 + k * 22;
    for (let dx = 0; dx < 16; dx++) for (let dy = 0; dy < 10; dy++) put(W - m.r + 16 + dx, ly + dy, c);
    text(s.name, W - m.r + 38, ly);
  });
  return encodeRgbPng({ width: W, height: H, data });
}
