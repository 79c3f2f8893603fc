// CPU reference of the batched matmul (kernels/matmul.wgsl.ts): [B?, M, K] @ [B?, K, N].
import { nd, type Nd } from './nd.js';

export function matmulRef(a: Nd, b: Nd): Nd {
  const m = a.shape[a.shape.length - 2];
  const k = a.shape[a.shape.length - 1];
  const n = b.shape[b.shape.length - 1];
  const batched = a.shape.length === 3 || b.shape.length === 3;
  const batch = a.shape.length === 3 ? a.shape[0] : b.shape.length === 3 ? b.shape[0] : 1;
  const out = nd(batched ? [batch, m, n] : [m, n]);
  for (let t = 0; t < batch; t++) {
    const ao = a.shape.length === 3 ? t * m * k : 0;
    const bo = b.shape.length === 3 ? t * k * n : 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += a.data[ao + i * k + q] * b.data[bo + q * n + j];
        out.data[t * m * n + i * n + j] = s;
      }
    }
  }
  return out;
}

function transposeLast(x: Nd): Nd {
  const r = x.shape.length;
  const [rows, cols] = [x.shape[r - 2], x.shape[r - 1]];
  const batch = r === 3 ? x.shape[0] : 1;
  const out = nd(r === 3 ? [batch, cols, rows] : [cols, rows]);
  for (let t = 0; t < batch; t++)
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out.data[t * rows * cols + j * rows + i] = x.data[t * rows * cols + i * cols + j];
  return out;
}

function sumBatch(x: Nd): Nd {
  const [batch, r, c] = x.shape;
  const out = nd([r, c]);
  for (let t = 0; t < batch; t++) for (let i = 0; i < r * c; i++) out.data[i] += x.data[t * r * c + i];
  return out;
}

/** [dA, dB] given the output gradient g. */
export function matmulGradRef(a: Nd, b: Nd, g: Nd): [Nd, Nd] {
  let ga = matmulRef(g, transposeLast(b));
  let gb = matmulRef(transposeLast(a), g);
  if (a.shape.length === 2 && ga.shape.length === 3) ga = sumBatch(ga);
  if (b.shape.length === 2 && gb.shape.length === 3) gb = sumBatch(gb);
  return [ga, gb];
}
