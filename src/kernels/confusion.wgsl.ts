// Confusion matrix for mIoU: one thread a pixel; the prediction is the argmax over the first
// `classes` outputs (the undefined class, when the model has one, is never predicted at
// evaluation: METHOD.md "Model"). Counts are integers, so u32 atomics are exact; each workgroup
// first counts into workgroup memory, then adds its nonzero cells to the global matrix.
import { ENTRY_PARAMS, Uniforms, grid1d, linearIndex, type KernelSpec, type Launch } from './kernel.js';

const WG = 256;
export const MAX_EVAL_CLASSES = 32;

const SPEC: KernelSpec = {
  name: 'confusion',
  bindings: ['read', 'read', 'read_write'],
  wgsl: `
struct U { n: u32, classes: u32, stride: u32, ignore: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read> gt: array<i32>;
@group(0) @binding(3) var<storage, read_write> cm: array<atomic<u32>>;
var<workgroup> local: array<atomic<u32>, ${MAX_EVAL_CLASSES * MAX_EVAL_CLASSES}>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let cells = u.classes * u.classes;
  for (var k = lid.x; k < cells; k += ${WG}u) { atomicStore(&local[k], 0u); }
  workgroupBarrier();
  let i = ${linearIndex(WG)};
  if (i < u.n) {
    let g = gt[i];
    if (g >= 0 && u32(g) < u.classes && u32(g) != u.ignore) {
      let row = i * u.stride;
      var best = 0u;
      for (var c = 1u; c < u.classes; c++) { if (z[row + c] > z[row + best]) { best = c; } }
      atomicAdd(&local[u32(g) * u.classes + best], 1u);
    }
  }
  workgroupBarrier();
  for (var k = lid.x; k < cells; k += ${WG}u) {
    let v = atomicLoad(&local[k]);
    if (v > 0u) { atomicAdd(&cm[k], v); }
  }
}`,
};

/** Adds the pixels' (ground truth, prediction) pairs to `cm` [classes * classes], row = truth. */
export function confusionLaunch(npix: number, classes: number, stride: number, ignore = 255): Launch {
  return { spec: SPEC, uniforms: new Uniforms().u32(npix, classes, stride, ignore).pack(), workgroups: grid1d(Math.ceil(npix / WG)) };
}
