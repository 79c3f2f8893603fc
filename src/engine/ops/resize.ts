// Bilinear resize of NHWC activations (kernels/resize.wgsl.ts), PyTorch semantics for both
// align_corners settings; the backward is a gather over the outputs that sample each input.
import { resizeBackwardLaunch, resizeLaunch, type ResizeGeometry } from '../../kernels/resize.wgsl.js';
import { record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { fmtShape, run } from './run.js';
import { dense } from './shape.js';

/** [N, H, W, C] -> [N, size[0], size[1], C]. */
export function resizeBilinear(x: Tensor, size: readonly [number, number], alignCorners = false): Tensor {
  if (x.rank !== 4 || x.dtype !== 'f32') throw new Error(`resizeBilinear: expects an f32 NHWC tensor, got ${x.dtype} ${fmtShape(x.shape)}`);
  const [n, h, w, c] = x.shape;
  const [ho, wo] = size;
  if (!(Number.isInteger(ho) && Number.isInteger(wo) && ho > 0 && wo > 0)) throw new Error(`resizeBilinear: bad size [${size}]`);
  const g: ResizeGeometry = { n, h, w, c, ho, wo, alignCorners };
  const xp = dense(x);
  const out = Tensor.empty([n, ho, wo, c]);
  run(resizeLaunch(g), [xp, out]);
  xp.dispose();
  return record(out, 'resize_bilinear', [x], (gy) => {
    const gp = dense(gy);
    const dx = Tensor.empty(x.shape);
    run(resizeBackwardLaunch(g), [gp, dx]);
    gp.dispose();
    return [dx];
  });
}
