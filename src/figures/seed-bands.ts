// Runs of several seeds as one line with a band: per (panel, series, round) the mean over seeds,
// their minimum, maximum and standard deviation, and the clicks spent (the mean over seeds:
// multi-class answers cost a varying number of clicks, so seeds spend slightly different amounts).

/** One seed's value at one round. */
export interface SeedPoint {
  panel: string;
  series: string;
  seed: number;
  round: number;
  clicks: number;
  /** mIoU in %. */
  miou: number;
}

/** The figure row of one (panel, series, round); field names are the CSV's columns. */
export interface BandRow {
  [field: string]: string | number;
  panel: string;
  series: string;
  round: number;
  clicks: number;
  miou: number;
  miou_min: number;
  miou_max: number;
  /** Sample standard deviation over seeds (0 for one seed). */
  miou_std: number;
  seeds: number;
}

/** The rows of `points` (non-finite values left out), in the order their groups first appear. */
export function seedBands(points: readonly SeedPoint[]): BandRow[] {
  const groups = new Map<string, SeedPoint[]>();
  for (const p of points) {
    if (!Number.isFinite(p.miou)) continue;
    const key = JSON.stringify([p.panel, p.series, p.round]);
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()].map((g) => {
    const v = g.map((p) => p.miou);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
    const { panel, series, round } = g[0];
    return { panel, series, round, clicks: g.reduce((a, p) => a + p.clicks, 0) / g.length, miou: mean, miou_min: Math.min(...v), miou_max: Math.max(...v), miou_std: std, seeds: g.length };
  });
}
