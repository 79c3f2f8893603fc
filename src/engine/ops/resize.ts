// Bilinear resize of NHWC activations (kernels/resize.wgsl.ts), PyTorch semantics for both
// align_corners settings; the backward is a gather over the outputs that sample each input.
import {
  resizeBackwardLanesLaunch,
  resizeBackwardPixelsLaunch,
  resizeGatherFits,
  resizeLanesLaunch,
  resizePixelsLaunch,
  type ResizeGeometry,
} from '../../kernels/resize.wgsl.js';
import { record } from '../autograd.js';
import { engine } from '../runtime.js';
import { Tensor } from '../tensor.js';
import { fmtShape, run } from './run.js';
import { dense } from './shape.js';

/**
 * [N, H, W, C] -> [N, size[0], size[1], C]. `into`: a destination of that shape written in place
 * when it is a channel slice of a wider NHWC tensor (a part of concatBy); otherwise ignored.
 */
export function resizeBilinear(x: Tensor, size: readonly [number, number], alignCorners = false, into?: Tensor): Tensor {
  if (x.rank !== 4 || x.dtype !== 'f32') throw new Error(`resizeBilinear: expects an f32 NHWC tensor, got ${x.dtype} ${fmtShape(x.shape)}`);
  const [n, h, w, c] = x.shape;
  const [ho, wo] = size;
  if (!(Number.isInteger(ho) && Number.isInteger(wo) && ho > 0 && wo > 0)) throw new Error(`resizeBilinear: bad size [${size}]`);
  const slice = into && channelSlice(into, [n, ho, wo, c]);
  const g: ResizeGeometry = { n, h, w, c, ho, wo, alignCorners, ...(slice ? { oPix: into.strides[2], oOff: into.offset } : {}) };
  // Both kernel forms give the same bits. One invocation per pixel on a software adapter, where
  // per-invocation index arithmetic costs (docs/performance.md, "Bilinear resize per pixel"); per
  // channel vector elsewhere, where neighbouring lanes on neighbouring channels coalesce.
  const pixels = engine().summary.isSoftware;
  const xp = dense(x);
  const out = slice ? into.view(into.shape, into.strides, into.offset) : Tensor.empty([n, ho, wo, c]);
  run(pixels ? resizePixelsLaunch(g) : resizeLanesLaunch(g), { x: xp, out });
  xp.dispose();
  return record(out, 'resize_bilinear', [x], (gy) => {
    // gy is read in place when it is a channel slice (the gradient of a concatenation's part).
    const inPlace = channelSlice(gy, [n, ho, wo, c]);
    const gp = inPlace ? gy.view(gy.shape, gy.strides, gy.offset) : dense(gy);
    const dx = Tensor.empty(x.shape);
    const gb: ResizeGeometry = { n, h, w, c, ho, wo, alignCorners, ...(inPlace ? { oPix: gy.strides[2], oOff: gy.offset } : {}) };
    run(pixels && resizeGatherFits(gb) ? resizeBackwardPixelsLaunch(gb) : resizeBackwardLanesLaunch(gb), { gy: gp, dx });
    gp.dispose();
    return [dx];
  });
}

/** Whether `t` of `shape` is an NHWC channel slice: pixels at a common stride, channels contiguous. */
function channelSlice(t: Tensor, shape: readonly number[]): boolean {
  const [n, h, w, c] = shape;
  const s = t.strides;
  const pix = s[2];
  return t.shape.every((d, i) => d === shape[i]) && (c === 1 || s[3] === 1) && pix >= c && (h === 1 || s[1] === w * pix) && (n === 1 || s[0] === h * w * pix);
}
