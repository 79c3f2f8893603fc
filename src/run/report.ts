// What a run leaves for people and machines: per-round metrics (JSON and CSV), colour PNGs of
// predictions and pseudo-labels, and a plot of mIoU against clicks (SVG and PNG).
import { writeFileAtomic } from '../data/atomic-write.js';
import { writeRgbPng } from '../data/png.js';
import { lineChartPng } from '../figures/line-chart.js';

export interface RoundMetrics {
  round: number;
  /** Clicks spent this round and in total so far. */
  clicks: number;
  totalClicks: number;
  regions: number;
  /** Share of the labelled regions whose answer had two or more classes. */
  multiClassShare: number;
  stage1: { miou: number; miouAllClasses: number; pixelAccuracy: number; perClass: number[] };
  stage2: { miou: number; miouAllClasses: number; pixelAccuracy: number; perClass: number[] } | null;
  /** Pseudo-label quality on the labelled images: share of pixels labelled and their accuracy. */
  pseudo: { coverage: number; accuracy: number } | null;
  seconds: number;
  /** What each stage's training saw (absent in records from before it was kept). */
  training?: { stage1: StageTraining | null; stage2: StageTraining | null };
}

/** A stage's batches without a labelled pixel, crops redrawn by the sampler, and its last loss. */
export interface StageTraining {
  emptyBatchShare: number;
  emptyCropShare: number;
  resampledCropShare: number;
  finalLoss: number | null;
}

/** A number as a CSV cell: 6 decimals at most, empty when missing or NaN. */
export function csvNumber(v: number | undefined | null): string {
  return v === undefined || v === null || Number.isNaN(v) ? '' : String(+v.toFixed(6));
}

export function writeMetrics(dir: string, rounds: readonly RoundMetrics[], classNames: readonly string[]): void {
  writeFileAtomic(`${dir}/metrics.json`, JSON.stringify({ rounds }, null, 2));
  const head = ['round', 'clicks', 'total_clicks', 'regions', 'multi_class_share', 'stage1_miou', 'stage2_miou', 'stage1_miou_all', 'stage2_miou_all', 'pseudo_coverage', 'pseudo_accuracy', 'seconds', ...classNames.map((c) => `stage1_iou_${c.replace(/\s+/g, '_')}`), 'stage1_empty_batch_share', 'stage2_empty_batch_share'];
  const rows = rounds.map((r) =>
    [r.round, r.clicks, r.totalClicks, r.regions, csvNumber(r.multiClassShare), csvNumber(r.stage1.miou), csvNumber(r.stage2?.miou), csvNumber(r.stage1.miouAllClasses), csvNumber(r.stage2?.miouAllClasses), csvNumber(r.pseudo?.coverage), csvNumber(r.pseudo?.accuracy), csvNumber(r.seconds), ...r.stage1.perClass.map((v) => csvNumber(v)), csvNumber(r.training?.stage1?.emptyBatchShare), csvNumber(r.training?.stage2?.emptyBatchShare)].join(','),
  );
  writeFileAtomic(`${dir}/metrics.csv`, [head.join(','), ...rows].join('\n') + '\n');
  writeFileAtomic(`${dir}/miou-vs-clicks.svg`, plotSvg(rounds));
  const points = (f: (r: RoundMetrics) => number | undefined) =>
    rounds.map((r) => ({ x: r.totalClicks, y: 100 * (f(r) ?? NaN) })).filter((p) => Number.isFinite(p.y));
  const series = [
    { name: 'stage 1', points: points((r) => r.stage1.miou) },
    { name: 'stage 2', points: points((r) => r.stage2?.miou) },
  ];
  writeFileAtomic(`${dir}/miou-vs-clicks.png`, lineChartPng(series, { title: 'mIoU vs clicks', xLabel: 'clicks', yLabel: 'mIoU %' }));
}

/** mIoU (%) of stage 1 and stage 2 against cumulative clicks. */
export function plotSvg(rounds: readonly RoundMetrics[], title = 'mIoU vs clicks'): string {
  const W = 560;
  const H = 360;
  const m = { l: 60, r: 20, t: 36, b: 48 };
  const xs = rounds.map((r) => r.totalClicks);
  const series: [string, string, (number | null)[]][] = [
    ['stage 1', '#1f77b4', rounds.map((r) => r.stage1.miou)],
    ['stage 2', '#d62728', rounds.map((r) => r.stage2?.miou ?? null)],
  ];
  const vals = series.flatMap(([, , v]) => v.filter((x): x is number => x !== null && Number.isFinite(x))).map((v) => v * 100);
  const xMax = Math.max(1, ...xs);
  const yMax = Math.max(10, Math.ceil((Math.max(0, ...vals) + 5) / 10) * 10);
  const px = (x: number) => m.l + (x / xMax) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - (y / yMax) * (H - m.t - m.b);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`,
    `<text x="${W / 2}" y="${H - 10}" text-anchor="middle">clicks</text>`,
    `<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">mIoU (%)</text>`,
  ];
  for (let y = 0; y <= yMax; y += yMax / 5) {
    parts.push(`<line x1="${m.l}" y1="${py(y)}" x2="${W - m.r}" y2="${py(y)}" stroke="#ddd"/>`, `<text x="${m.l - 6}" y="${py(y) + 4}" text-anchor="end">${y.toFixed(0)}</text>`);
  }
  for (const x of xs) parts.push(`<text x="${px(x)}" y="${H - m.b + 16}" text-anchor="middle">${x}</text>`);
  series.forEach(([name, colour, v], k) => {
    const pts = v.map((y, i) => (y === null || !Number.isFinite(y) ? null : `${px(xs[i]).toFixed(1)},${py(y * 100).toFixed(1)}`)).filter((p): p is string => p !== null);
    if (pts.length) parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const p of pts) {
      const [cx, cy] = p.split(',');
      parts.push(`<circle cx="${cx}" cy="${cy}" r="3.5" fill="${colour}"/>`);
    }
    parts.push(`<rect x="${m.l + 12}" y="${m.t + 6 + 18 * k}" width="12" height="12" fill="${colour}"/>`, `<text x="${m.l + 30}" y="${m.t + 16 + 18 * k}">${name}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** RGB image of a class-id map (255 and ids without a colour are black). */
export function colourise(labels: ArrayLike<number>, width: number, height: number, palette: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const c = labels[i];
    if (c * 3 + 2 < palette.length) data.set(palette.subarray(c * 3, c * 3 + 3), i * 3);
  }
  return { width, height, data };
}

export function writeLabelPng(file: string, labels: ArrayLike<number>, width: number, height: number, palette: Uint8Array): void {
  writeRgbPng(file, colourise(labels, width, height, palette));
}
