// CPU reference of batch norm over the last (channel) axis (kernels/batchnorm.wgsl.ts), float64.
import { nd, type Nd } from './nd.js';

export interface BatchNormRefResult {
  y: Nd;
  runningMean: Nd;
  runningVar: Nd;
}

/** Per-channel mean and biased variance over all leading axes. */
function moments(x: Nd): { mean: Float64Array; variance: Float64Array; m: number } {
  const c = x.shape[x.shape.length - 1];
  const m = x.data.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let i = 0; i < x.data.length; i++) mean[i % c] += x.data[i] / m;
  for (let i = 0; i < x.data.length; i++) variance[i % c] += (x.data[i] - mean[i % c]) ** 2 / m;
  return { mean, variance, m };
}

export function batchNormRef(x: Nd, gamma: Nd, beta: Nd, runningMean: Nd, runningVar: Nd, training: boolean, momentum = 0.1, eps = 1e-5): BatchNormRefResult {
  const c = gamma.data.length;
  const rm = nd([c], runningMean.data);
  const rv = nd([c], runningVar.data);
  let mean: Float64Array;
  let variance: Float64Array;
  if (training) {
    const mo = moments(x);
    ({ mean, variance } = mo);
    for (let j = 0; j < c; j++) {
      rm.data[j] = (1 - momentum) * rm.data[j] + momentum * mean[j];
      rv.data[j] = (1 - momentum) * rv.data[j] + (momentum * variance[j] * mo.m) / (mo.m - 1);
    }
  } else {
    mean = runningMean.data;
    variance = runningVar.data;
  }
  const y = nd(x.shape);
  for (let i = 0; i < x.data.length; i++) {
    const j = i % c;
    y.data[i] = ((x.data[i] - mean[j]) / Math.sqrt(variance[j] + eps)) * gamma.data[j] + beta.data[j];
  }
  return { y, runningMean: rm, runningVar: rv };
}

/** [dx, dgamma, dbeta] of batchNormRef's y given its gradient g. */
export function batchNormGradRef(x: Nd, gamma: Nd, g: Nd, training: boolean, runningMean: Nd, runningVar: Nd, eps = 1e-5): [Nd, Nd, Nd] {
  const c = gamma.data.length;
  const { mean, variance, m } = training ? moments(x) : { mean: runningMean.data, variance: runningVar.data, m: x.data.length / c };
  const inv = Array.from(variance, (v) => 1 / Math.sqrt(v + eps));
  const dgamma = nd([c]);
  const dbeta = nd([c]);
  for (let i = 0; i < x.data.length; i++) {
    const j = i % c;
    dbeta.data[j] += g.data[i];
    dgamma.data[j] += g.data[i] * (x.data[i] - mean[j]) * inv[j];
  }
  const dx = nd(x.shape);
  for (let i = 0; i < x.data.length; i++) {
    const j = i % c;
    const xhat = (x.data[i] - mean[j]) * inv[j];
    dx.data[i] = training
      ? ((gamma.data[j] * inv[j]) / m) * (m * g.data[i] - dbeta.data[j] - xhat * dgamma.data[j])
      : gamma.data[j] * inv[j] * g.data[i];
  }
  return [dx, dgamma, dbeta];
}

/** batchNormRef with the fused ReLU: y = max(BN(x), 0). */
export function batchNormReluRef(x: Nd, gamma: Nd, beta: Nd, runningMean: Nd, runningVar: Nd, training: boolean, momentum = 0.1, eps = 1e-5): BatchNormRefResult {
  const r = batchNormRef(x, gamma, beta, runningMean, runningVar, training, momentum, eps);
  return { ...r, y: nd(r.y.shape, r.y.data.map((v) => Math.max(v, 0))) };
}

/** [dx, dgamma, dbeta] of batchNormReluRef's y given its gradient g: BN's gradient of g where y > 0, else of 0. */
export function batchNormReluGradRef(x: Nd, gamma: Nd, beta: Nd, g: Nd, training: boolean, runningMean: Nd, runningVar: Nd, eps = 1e-5): [Nd, Nd, Nd] {
  const y = batchNormRef(x, gamma, beta, runningMean, runningVar, training, 0.1, eps).y;
  const masked = nd(g.shape, g.data.map((v, i) => (y.data[i] > 0 ? v : 0)));
  return batchNormGradRef(x, gamma, masked, training, runningMean, runningVar, eps);
}
