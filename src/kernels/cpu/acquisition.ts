// CPU reference of the acquisition statistics (kernels/acquisition.wgsl.ts).
export interface RegionStatsRef {
  count: number[];
  meanBvsb: number[];
  majority: number[];
  /** [r][c]: sum of BvSB over pixels predicted c. */
  bvsbByClass: number[][];
  /** [r][c]: sum of p_c over the region's pixels. */
  probSum: number[][];
}

export function regionStatsRef(z: ArrayLike<number>, classes: number, tau: number, starts: ArrayLike<number>, pixels: ArrayLike<number>): RegionStatsRef {
  const R = starts.length - 1;
  const out: RegionStatsRef = { count: [], meanBvsb: [], majority: [], bvsbByClass: [], probSum: [] };
  for (let r = 0; r < R; r++) {
    const votes = new Array<number>(classes).fill(0);
    const uSum = new Array<number>(classes).fill(0);
    const pSum = new Array<number>(classes).fill(0);
    let total = 0;
    for (let q = starts[r]; q < starts[r + 1]; q++) {
      const x = pixels[q];
      const v = Array.from({ length: classes }, (_, c) => z[x * classes + c] / tau);
      const m = Math.max(...v);
      const e = v.map((t) => Math.exp(t - m));
      const s = e.reduce((a, b) => a + b, 0);
      const p = e.map((t) => t / s);
      const best = p.indexOf(Math.max(...p));
      const second = classes < 2 ? 0 : Math.max(...p.filter((_, c) => c !== best));
      const u = second / p[best] + 1e-8;
      votes[best]++;
      uSum[best] += u;
      total += u;
      p.forEach((pc, c) => (pSum[c] += pc));
    }
    const n = starts[r + 1] - starts[r];
    out.count.push(n);
    out.meanBvsb.push(n ? total / n : 0);
    out.majority.push(votes.indexOf(Math.max(...votes)));
    out.bvsbByClass.push(uSum);
    out.probSum.push(pSum);
  }
  return out;
}
