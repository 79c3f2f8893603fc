// Pooling over NHWC activations: max pool (backward to the stored argmax, gather-style) and
// global average pool (kernels/pool.wgsl.ts).
import {
  globalAvgPoolBackwardLaunch,
  globalAvgPoolLaunch,
  maxPoolBackwardLaunch,
  maxPoolBackwardPixelsLaunch,
  maxPoolLaunch,
  maxPoolPixelsLaunch,
  type PoolGeometry,
} from '../../kernels/pool.wgsl.js';
import { record } from '../autograd.js';
import { engine } from '../runtime.js';
import { Tensor } from '../tensor.js';
import { fmtShape, run } from './run.js';
import { dense } from './shape.js';

export interface MaxPoolOptions {
  kernel?: number | readonly [number, number];
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
}

const pair = (v: number | readonly [number, number] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

function check4(op: string, x: Tensor): void {
  if (x.rank !== 4 || x.dtype !== 'f32') throw new Error(`${op}: expects an f32 NHWC tensor [N, H, W, C], got ${x.dtype} ${fmtShape(x.shape)}`);
}

/** Max pool (default 3x3, stride 2, padding 1, as the ResNet stem); padding never wins the max. */
export function maxPool2d(x: Tensor, options: MaxPoolOptions = {}): Tensor {
  check4('maxPool2d', x);
  const k = pair(options.kernel, 3);
  const stride = pair(options.stride, 2);
  const padding = pair(options.padding, 1);
  if (padding[0] >= k[0] || padding[1] >= k[1]) throw new Error(`maxPool2d: padding ${padding} must be smaller than the kernel ${k}`);
  const [n, h, w, c] = x.shape;
  const ho = Math.floor((h + 2 * padding[0] - k[0]) / stride[0]) + 1;
  const wo = Math.floor((w + 2 * padding[1] - k[1]) / stride[1]) + 1;
  if (ho < 1 || wo < 1) throw new Error(`maxPool2d: output of ${fmtShape(x.shape)} would be ${ho}x${wo}`);
  const g: PoolGeometry = { n, h, w, c, ho, wo, k, stride, padding };
  const xp = dense(x);
  const out = Tensor.empty([n, ho, wo, c]);
  const arg = Tensor.empty([n, ho, wo, c], 'i32');
  // One invocation per pixel on a software adapter (its index arithmetic once per pixel), per
  // element elsewhere (neighbouring lanes on neighbouring channels); the same bits.
  const pixels = engine().summary.isSoftware;
  run(pixels ? maxPoolPixelsLaunch(g) : maxPoolLaunch(g), { x: xp, out, arg });
  xp.dispose();
  // The argmax is the node's: the tape disposes it after the backward.
  return record(out, 'max_pool2d', [x], (gy) => {
    const gp = dense(gy);
    const dx = Tensor.empty(x.shape);
    run(pixels ? maxPoolBackwardPixelsLaunch(g) : maxPoolBackwardLaunch(g), { gy: gp, arg, dx });
    return [dx];
  }, [], [arg]);
}

/** Mean over H and W: [N, H, W, C] -> [N, 1, 1, C]. */
export function globalAvgPool(x: Tensor): Tensor {
  check4('globalAvgPool', x);
  const [n, h, w, c] = x.shape;
  const xp = dense(x);
  const out = Tensor.empty([n, 1, 1, c]);
  run(globalAvgPoolLaunch(n, h * w, c), { x: xp, out });
  xp.dispose();
  return record(out, 'global_avg_pool', [x], (gy) => {
    const gp = dense(gy);
    const dx = Tensor.empty(x.shape);
    run(globalAvgPoolBackwardLaunch(n, h * w, c), { g: gp, dx });
    return [dx];
  });
}
