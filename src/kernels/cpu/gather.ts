// CPU reference of gather along an axis, its gradient, and one-hot (kernels/gather.wgsl.ts).
import { nd, type Nd } from './nd.js';

function split(shape: readonly number[], axis: number) {
  return {
    outer: shape.slice(0, axis).reduce((a, b) => a * b, 1),
    k: shape[axis],
    inner: shape.slice(axis + 1).reduce((a, b) => a * b, 1),
  };
}

export function gatherRef(x: Nd, axis: number, index: readonly number[]): Nd {
  const { outer, k, inner } = split(x.shape, axis);
  const shape = [...x.shape];
  shape[axis] = index.length;
  const out = nd(shape);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < index.length; j++)
      for (let i = 0; i < inner; i++) out.data[(o * index.length + j) * inner + i] = x.data[(o * k + index[j]) * inner + i];
  return out;
}

export function gatherGradRef(x: Nd, axis: number, index: readonly number[], g: Nd): Nd {
  const { outer, k, inner } = split(x.shape, axis);
  const out = nd(x.shape);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < index.length; j++)
      for (let i = 0; i < inner; i++) out.data[(o * k + index[j]) * inner + i] += g.data[(o * index.length + j) * inner + i];
  return out;
}

export function oneHotRef(labels: readonly number[], classes: number): Nd {
  const out = nd([labels.length, classes]);
  labels.forEach((l, n) => {
    if (l >= 0 && l < classes) out.data[n * classes + l] = 1;
  });
  return out;
}
