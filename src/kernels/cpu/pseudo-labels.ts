// CPU reference of stage-2 pseudo-labels (kernels/pseudo-labels.wgsl.ts), in float64, following
// docs/method.md ("Stage-2 pseudo-labels") step by step: prototypes, localisation, lower-median
// thresholds, expansion.
export interface PseudoRefInput {
  z: ArrayLike<number>;
  feat: ArrayLike<number>;
  classes: number;
  dim: number;
  ids: ArrayLike<number>;
  /** CSR pixel lists and adjacency of the superpixels. */
  regionStart: ArrayLike<number>;
  regionPixels: ArrayLike<number>;
  adjStart: ArrayLike<number>;
  adj: ArrayLike<number>;
  labels: ReadonlyMap<number, number>;
  localise: boolean;
  expand: boolean;
  reading: 'code' | 'text';
  /** The text reading picks prototypes by softmax(z / tau) (default 0.1); the code at temperature 1. */
  tau?: number;
}

export function pseudoLabelsRef(o: PseudoRefInput): Int32Array {
  const npix = o.ids.length;
  const C = o.classes;
  const D = o.dim;
  const f = (x: number) => Array.from({ length: D }, (_, d) => o.feat[x * D + d]);
  const unit = (v: number[]) => {
    const n = Math.sqrt(v.reduce((a, b) => a + b * b, 0));
    return v.map((t) => t / Math.max(n, 1e-12));
  };
  const cos = (x: number, q: number[]) => unit(f(x)).reduce((a, v, d) => a + v * q[d], 0);
  const prob = (x: number, c: number) => {
    const t = o.reading === 'text' ? (o.tau ?? 0.1) : 1;
    const row = Array.from({ length: C }, (_, k) => o.z[x * C + k] / t);
    const m = Math.max(...row);
    const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
    return Math.exp(row[c] - m) / s;
  };
  const pixelsOf = (s: number) => Array.from({ length: o.regionStart[s + 1] - o.regionStart[s] }, (_, i) => o.regionPixels[o.regionStart[s] + i]);
  // Prototypes per labelled region, classes ascending.
  const protos = new Map<number, { c: number; q: number[]; thr: number }[]>();
  for (const [s, mask] of o.labels) {
    const list: { c: number; q: number[]; thr: number }[] = [];
    for (let c = 0; c < C; c++) {
      if (!(mask & (1 << c))) continue;
      let best = -1;
      let arg = -1;
      for (const x of pixelsOf(s)) {
        const p = prob(x, c);
        if (p > best) {
          best = p;
          arg = x;
        }
      }
      list.push({ c, q: unit(f(arg)), thr: 1 });
    }
    protos.set(s, list);
  }
  const out = new Int32Array(npix).fill(255);
  const localised = new Map<number, number>();
  for (const [s, list] of protos) {
    const assigned: { k: number; sim: number }[] = [];
    for (const x of pixelsOf(s)) {
      let bestK = 0;
      let bestScore = -Infinity;
      list.forEach((pr, k) => {
        const score = o.localise ? cos(x, pr.q) : o.z[x * C + pr.c];
        if (score > bestScore) {
          bestScore = score;
          bestK = k;
        }
      });
      assigned.push({ k: bestK, sim: cos(x, list[bestK].q) });
      localised.set(x, list[bestK].c);
    }
    list.forEach((pr, k) => {
      const sims = assigned.filter((a) => a.k === k).map((a) => a.sim).sort((a, b) => a - b);
      pr.thr = sims.length ? sims[Math.floor((sims.length - 1) / 2)] : 1;
    });
  }
  if (o.expand) {
    const order = [...protos.keys()].sort((a, b) => a - b);
    const bestSim = new Float64Array(npix).fill(-Infinity);
    for (const s of order) {
      const neighbours = new Set<number>([s]);
      for (let q = o.adjStart[s]; q < o.adjStart[s + 1]; q++) neighbours.add(o.adj[q]);
      const list = protos.get(s)!;
      for (let x = 0; x < npix; x++) {
        if (!neighbours.has(o.ids[x])) continue;
        const sims = list.map((pr) => cos(x, pr.q));
        const passing = list.map((pr, k) => sims[k] > pr.thr);
        if (!passing.some(Boolean)) continue;
        if (o.reading === 'code') {
          out[x] = list[sims.indexOf(Math.max(...sims))].c;
        } else {
          let k = -1;
          sims.forEach((v, i) => {
            if (passing[i] && (k < 0 || v > sims[k])) k = i;
          });
          if (sims[k] > bestSim[x]) {
            bestSim[x] = sims[k];
            out[x] = list[k].c;
          }
        }
      }
    }
  }
  for (const [x, c] of localised) out[x] = c;
  return out;
}
