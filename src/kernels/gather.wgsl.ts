// Indexing kernels on contiguous [outer, K, inner] views.
//   gather:      out[o, j, i] = x[o, idx[j], i]                  (index_select along one axis)
//   gather_grad: dx[o, k, i]  = sum_{j : idx[j] = k} g[o, j, i]   (each output sums what it fed:
//                a gather-style backward, no float atomics)
//   one_hot:     out[n, c] = 1 if labels[n] == c else 0 (an out-of-range label, e.g. ignore 255,
//                gives a zero row)
import { flatMain, grid1d, type Launch } from './kernel.js';
import { declared, launchOf, signature, type UniformValues } from './signature.js';

const WG = 64;
const UNIFORMS = { outer: 'u32', k: 'u32', inner: 'u32', j: 'u32' } as const;
type Sizes = UniformValues<typeof UNIFORMS>;
// Lengths of the source-shaped [outer, K, inner] and gathered [outer, J, inner] buffers.
const src = (u: Sizes): number => u.outer * u.k * u.inner;
const picked = (u: Sizes): number => u.outer * u.j * u.inner;
const IDX = { type: 'i32', access: 'read', len: (u: Sizes) => u.j } as const;
const FORWARD = signature('gather', UNIFORMS, {
  x: { type: 'f32', access: 'read', len: src },
  idx: IDX,
  out: { type: 'f32', access: 'write', len: picked },
});
const BACKWARD = signature('gather_grad', UNIFORMS, {
  g: { type: 'f32', access: 'read', len: picked },
  idx: IDX,
  dx: { type: 'f32', access: 'read_write', len: src },
});
// one_hot: outer = labels, k = classes.
const ONE_HOT_SIG = signature('one_hot', UNIFORMS, {
  labels: { type: 'i32', access: 'read', len: (u) => u.outer },
  out: { type: 'f32', access: 'write', len: (u) => u.outer * u.k },
});

// Splits the flat index t over [outer, mid, inner] into (o, <mid>, i), returning past the end.
const over = (mid: 'j' | 'k') => `
${flatMain(WG, `u.outer * u.${mid} * u.inner`)}
  let i = t % u.inner;
  let ${mid} = (t / u.inner) % u.${mid};
  let o = t / (u.inner * u.${mid});`;

const GATHER = () =>
  declared('gather', FORWARD, () => `${over('j')}
  let src = u32(idx[j]);
  out[t] = x[(o * u.k + src) * u.inner + i];
}`);

const GATHER_GRAD = () =>
  declared('gather_grad', BACKWARD, () => `${over('k')}
  var s = 0.0;
  for (var j = 0u; j < u.j; j++) {
    if (u32(idx[j]) == k) { s += g[(o * u.j + j) * u.inner + i]; }
  }
  dx[t] = s;
}`);

// Backward of a gather whose indices are all distinct: each source element receives at most one
// gradient, so a plain scatter into a zero-filled buffer is exact (and O(J) instead of O(K J)).
const SCATTER = () =>
  declared('gather_grad_unique', BACKWARD, () => `${over('j')}
  dx[(o * u.k + u32(idx[j])) * u.inner + i] = g[t];
}`);

const ONE_HOT = () =>
  declared('one_hot', ONE_HOT_SIG, () => `
${flatMain(WG, 'u.outer * u.k')}
  let c = t % u.k;
  out[t] = select(0.0, 1.0, labels[t / u.k] == i32(c));
}`);

const groups = (n: number) => grid1d(Math.ceil(n / WG));
export function gatherLaunch(outer: number, k: number, inner: number, j: number): Launch<'x' | 'idx' | 'out'> {
  return launchOf(GATHER(), { outer, k, inner, j }, groups(outer * j * inner));
}
export function gatherGradLaunch(outer: number, k: number, inner: number, j: number): Launch<'g' | 'idx' | 'dx'> {
  return launchOf(GATHER_GRAD(), { outer, k, inner, j }, groups(outer * k * inner));
}
export function scatterUniqueLaunch(outer: number, k: number, inner: number, j: number): Launch<'g' | 'idx' | 'dx'> {
  return launchOf(SCATTER(), { outer, k, inner, j }, groups(outer * j * inner));
}
export function oneHotLaunch(n: number, classes: number): Launch<'labels' | 'out'> {
  return launchOf(ONE_HOT(), { outer: n, k: classes, inner: 1, j: 0 }, groups(n * classes));
}
