// CPU reference of the optimiser updates (kernels/optim.wgsl.ts), one step, in place.
export function sgdRef(p: Float64Array, g: ArrayLike<number>, m: Float64Array, lr: number, momentum: number, wd: number): void {
  for (let i = 0; i < p.length; i++) {
    m[i] = momentum * m[i] + g[i] + wd * p[i];
    p[i] -= lr * m[i];
  }
}

export function adamwRef(
  p: Float64Array,
  g: ArrayLike<number>,
  m: Float64Array,
  v: Float64Array,
  h: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number },
): void {
  const bc1 = 1 - h.beta1 ** h.step;
  const bc2 = 1 - h.beta2 ** h.step;
  for (let i = 0; i < p.length; i++) {
    m[i] = h.beta1 * m[i] + (1 - h.beta1) * g[i];
    v[i] = h.beta2 * v[i] + (1 - h.beta2) * g[i] * g[i];
    p[i] = p[i] * (1 - h.lr * h.weightDecay) - (h.lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + h.eps);
  }
}
