// CPU reference of the cosine classifier (kernels/cosine-head.wgsl.ts), Eq. 1 of the paper:
// logits[m, k] = <f_m / |f_m|, w_k / |w_k|> / tau, features [..., C], weights [K, C]; float64.
import { nd, type Nd } from './nd.js';

export function cosineRef(f: Nd, w: Nd, tau: number): Nd {
  const c = f.shape[f.shape.length - 1];
  const [k] = w.shape;
  const m = f.data.length / c;
  const out = nd([...f.shape.slice(0, -1), k]);
  const norm = (d: Float64Array, o: number) => Math.sqrt(Array.from({ length: c }, (_, i) => d[o + i] ** 2).reduce((a, b) => a + b, 0));
  for (let p = 0; p < m; p++) {
    const nf = norm(f.data, p * c);
    for (let j = 0; j < k; j++) {
      let dot = 0;
      for (let i = 0; i < c; i++) dot += f.data[p * c + i] * w.data[j * c + i];
      out.data[p * k + j] = dot / (nf * norm(w.data, j * c) * tau);
    }
  }
  return out;
}

/** [df, dw] given the logits' gradient g, by the chain rule through both normalisations. */
export function cosineGradRef(f: Nd, w: Nd, tau: number, g: Nd): [Nd, Nd] {
  const c = f.shape[f.shape.length - 1];
  const [k] = w.shape;
  const m = f.data.length / c;
  const unit = (d: Float64Array, rows: number) => {
    const u = new Float64Array(d.length);
    const r = new Float64Array(rows);
    for (let p = 0; p < rows; p++) {
      let s = 0;
      for (let i = 0; i < c; i++) s += d[p * c + i] ** 2;
      r[p] = 1 / Math.sqrt(s);
      for (let i = 0; i < c; i++) u[p * c + i] = d[p * c + i] * r[p];
    }
    return { u, r };
  };
  const F = unit(f.data, m);
  const W = unit(w.data, k);
  // Gradients w.r.t. the unit vectors, then through u = v/|v|: dv = (du - (du.u) u) / |v|.
  const duf = new Float64Array(f.data.length);
  const duw = new Float64Array(w.data.length);
  for (let p = 0; p < m; p++)
    for (let j = 0; j < k; j++) {
      const gg = g.data[p * k + j] / tau;
      for (let i = 0; i < c; i++) {
        duf[p * c + i] += gg * W.u[j * c + i];
        duw[j * c + i] += gg * F.u[p * c + i];
      }
    }
  const back = (du: Float64Array, U: { u: Float64Array; r: Float64Array }, rows: number, shape: number[]) => {
    const out = nd(shape);
    for (let p = 0; p < rows; p++) {
      let dot = 0;
      for (let i = 0; i < c; i++) dot += du[p * c + i] * U.u[p * c + i];
      for (let i = 0; i < c; i++) out.data[p * c + i] = (du[p * c + i] - dot * U.u[p * c + i]) * U.r[p];
    }
    return out;
  };
  return [back(duf, F, m, f.shape), back(duw, W, k, w.shape)];
}
