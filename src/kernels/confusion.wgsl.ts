// Confusion matrix for mIoU, and the label map it counts: one thread a pixel; the prediction is
// the argmax over the first `classes` outputs (the undefined class, when the model has one, is
// never predicted at evaluation: docs/method.md, "Model"). Logits are read at the model's resolution
// and sampled bilinearly at each pixel (grid-sample.wgsl.ts), so no full-resolution K-channel
// tensor is needed. Counts are integers, so u32 atomics are exact; each workgroup first counts
// into workgroup memory, then adds its nonzero cells to the global matrix.
import { GRID_TAPS, gridRead, gridWords, type SampleGrid } from './grid-sample.wgsl.js';
import { ENTRY_PARAMS, Uniforms, grid1d, linearIndex, type KernelSpec, type Launch } from './kernel.js';

const WG = 256;
export const MAX_EVAL_CLASSES = 32;

// z holds cells of `stride` outputs; predict(x) is pixel x's class.
const PREDICT = `
struct U { n: u32, classes: u32, stride: u32, ignore: u32, width: u32, gh: u32, gw: u32, _p: u32, sy: f32, sx: f32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> z: array<f32>;
${GRID_TAPS}
${gridRead('z_at', 'z', 'u.stride')}
fn predict(x: u32) -> u32 {
  let t = grid_taps(x, u.width, u.gh, u.gw, u.sy, u.sx);
  var best = 0u;
  var best_v = z_at(t, 0u);
  for (var c = 1u; c < u.classes; c++) {
    let v = z_at(t, c);
    if (v > best_v) { best = c; best_v = v; }
  }
  return best;
}`;

const SPEC: KernelSpec = {
  name: 'confusion',
  bindings: ['read', 'read', 'read_write'],
  wgsl: `${PREDICT}
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
      atomicAdd(&local[u32(g) * u.classes + predict(i)], 1u);
    }
  }
  workgroupBarrier();
  for (var k = lid.x; k < cells; k += ${WG}u) {
    let v = atomicLoad(&local[k]);
    if (v > 0u) { atomicAdd(&cm[k], v); }
  }
}`,
};

const LABELS: KernelSpec = {
  name: 'predicted_labels',
  bindings: ['read', 'read_write'],
  wgsl: `${PREDICT}
@group(0) @binding(2) var<storage, read_write> label: array<i32>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(WG)};
  if (i < u.n) { label[i] = i32(predict(i)); }
}`,
};

function uni(classes: number, stride: number, ignore: number, g: SampleGrid): ArrayBuffer {
  const w = gridWords(g);
  return new Uniforms()
    .u32(g.width * g.height, classes, stride, ignore, g.width, ...w.cells, 0)
    .f32(...w.scales)
    .pack();
}

/**
 * Adds the pixels' (ground truth, prediction) pairs to `cm` [classes * classes], row = truth.
 * Buffers: z [gh, gw, stride] (the grid g), gt [pixels], cm.
 */
export function confusionLaunch(classes: number, stride: number, g: SampleGrid, ignore = 255): Launch {
  const npix = g.width * g.height;
  return { spec: SPEC, uniforms: uni(classes, stride, ignore, g), workgroups: grid1d(Math.ceil(npix / WG)) };
}

/** Each pixel's predicted class (argmax over the first `classes` of `stride` outputs). Buffers: z, label [pixels] i32. */
export function predictedLabelsLaunch(classes: number, stride: number, g: SampleGrid): Launch {
  const npix = g.width * g.height;
  return { spec: LABELS, uniforms: uni(classes, stride, 0, g), workgroups: grid1d(Math.ceil(npix / WG)) };
}
