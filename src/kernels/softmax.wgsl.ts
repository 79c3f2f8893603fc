// Softmax and log-softmax over the middle axis of a contiguous [outer, K, inner] view, one thread
// per row, numerically stable (the row max is subtracted first). Backward from the saved output:
//   softmax:     dx = y * (g - sum_k g*y)
//   log-softmax: dx = g - exp(y) * sum_k g
import { flatMain, grid1d, type Launch } from './kernel.js';
import { expSum } from './log-sum-exp.wgsl.js';
import { declared, launchOf, signature, type UniformValues } from './signature.js';

export type SoftmaxKind = 'softmax' | 'log_softmax';
const WG = 64;
const UNIFORMS = { outer: 'u32', k: 'u32', inner: 'u32' } as const;
const all = (u: UniformValues<typeof UNIFORMS>): number => u.outer * u.k * u.inner;
const FORWARD = signature('softmax_fwd', UNIFORMS, {
  x: { type: 'f32', access: 'read', len: all },
  y: { type: 'f32', access: 'write', len: all },
});
const BACKWARD = signature('softmax_bwd', UNIFORMS, {
  y: { type: 'f32', access: 'read', len: all },
  g: { type: 'f32', access: 'read', len: all },
  dx: { type: 'f32', access: 'write', len: all },
});

// One invocation per row: t counts the (outer, inner) pairs, base is the row's first element.
const ROW = `
${flatMain(WG, 'u.outer * u.inner')}
  let base = (t / u.inner) * u.k * u.inner + t % u.inner;`;

function forwardBody(kind: SoftmaxKind): string {
  const write = kind === 'softmax' ? 'exp(x[at] - m) * inv' : 'x[at] - m - log(s)';
  return `${ROW}
  ${expSum({ max: 'm', sum: 's', count: 'u.k', value: (c) => `x[base + ${c} * u.inner]` })}
  let inv = 1.0 / s;
  var at = base;
  for (var k = 0u; k < u.k; k++) { y[at] = ${write}; at += u.inner; }
}`;
}

function backwardBody(kind: SoftmaxKind): string {
  const dot = kind === 'softmax' ? 'g[at] * y[at]' : 'g[at]';
  const write = kind === 'softmax' ? 'y[at] * (g[at] - s)' : 'g[at] - exp(y[at]) * s';
  return `${ROW}
  var s = 0.0;
  var at = base;
  for (var k = 0u; k < u.k; k++) { s += ${dot}; at += u.inner; }
  at = base;
  for (var k = 0u; k < u.k; k++) { dx[at] = ${write}; at += u.inner; }
}`;
}

const groups = (outer: number, inner: number) => grid1d(Math.ceil((outer * inner) / WG));

export const softmaxForwardLaunch = (kind: SoftmaxKind, outer: number, k: number, inner: number): Launch<'x' | 'y'> =>
  launchOf(declared(`${kind}_fwd`, FORWARD, () => forwardBody(kind)), { outer, k, inner }, groups(outer, inner));
export const softmaxBackwardLaunch = (kind: SoftmaxKind, outer: number, k: number, inner: number): Launch<'y' | 'g' | 'dx'> =>
  launchOf(declared(`${kind}_bwd`, BACKWARD, () => backwardBody(kind)), { outer, k, inner }, groups(outer, inner));
