// CPU reference of softmax / log-softmax along one axis (kernels/softmax.wgsl.ts).
import { nd, type Nd } from './nd.js';

function rows(shape: readonly number[], axis: number) {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return { outer, k: shape[axis], inner };
}

export function softmaxRef(x: Nd, axis: number, log = false): Nd {
  const { outer, k, inner } = rows(x.shape, axis);
  const out = nd(x.shape);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * k + j) * inner + i;
      let m = -Infinity;
      for (let j = 0; j < k; j++) m = Math.max(m, x.data[at(j)]);
      let s = 0;
      for (let j = 0; j < k; j++) s += Math.exp(x.data[at(j)] - m);
      for (let j = 0; j < k; j++) out.data[at(j)] = log ? x.data[at(j)] - m - Math.log(s) : Math.exp(x.data[at(j)] - m) / s;
    }
  }
  return out;
}

export function softmaxGradRef(x: Nd, axis: number, g: Nd, log = false): Nd {
  const { outer, k, inner } = rows(x.shape, axis);
  const y = softmaxRef(x, axis, false);
  const out = nd(x.shape);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * k + j) * inner + i;
      let s = 0;
      for (let j = 0; j < k; j++) s += log ? g.data[at(j)] : g.data[at(j)] * y.data[at(j)];
      for (let j = 0; j < k; j++) out.data[at(j)] = log ? g.data[at(j)] - y.data[at(j)] * s : y.data[at(j)] * (g.data[at(j)] - s);
    }
  }
  return out;
}
