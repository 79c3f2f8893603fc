// Confusion matrix for mIoU, and the label map it counts: one thread a pixel; the prediction is
// the argmax over the first `classes` outputs (the undefined class, when the model has one, is
// never predicted at evaluation: docs/method.md, "Model"). Logits are read at the model's resolution
// and sampled bilinearly at each pixel (grid-sample.wgsl.ts), so no full-resolution K-channel
// tensor is needed. Counts are integers, so u32 atomics are exact; each workgroup first counts
// into workgroup memory, then adds its nonzero cells to the global matrix.
import { GRID_TAPS, gridRead, gridValues, type SampleGrid } from './grid-sample.wgsl.js';
import { ENTRY_PARAMS, grid1d, linearIndex, type Launch } from './kernel.js';
import { declared, launchOf, signature, type UniformValues } from './signature.js';

const WG = 256;
export const MAX_EVAL_CLASSES = 32;

const UNIFORMS = { n: 'u32', classes: 'u32', stride: 'u32', ignore: 'u32', width: 'u32', gh: 'u32', gw: 'u32', sy: 'f32', sx: 'f32' } as const;
const Z = { type: 'f32', access: 'read', len: (u: UniformValues<typeof UNIFORMS>) => u.gh * u.gw * u.stride } as const;
const CONFUSION = signature('confusion', UNIFORMS, {
  z: Z,
  gt: { type: 'i32', access: 'read', len: (u) => u.n },
  cm: { type: 'atomic<u32>', access: 'read_write', len: (u) => u.classes * u.classes },
});
const LABELS = signature('predicted_labels', UNIFORMS, { z: Z, label: { type: 'i32', access: 'write', len: (u) => u.n } });

// z holds cells of `stride` outputs; predict(x) is pixel x's class.
const PREDICT = `
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

const confusion = () => declared('confusion', CONFUSION, () => `${PREDICT}
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
}`);

const labels = () => declared('predicted_labels', LABELS, () => `${PREDICT}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(WG)};
  if (i < u.n) { label[i] = i32(predict(i)); }
}`);

function uni(classes: number, stride: number, ignore: number, g: SampleGrid): UniformValues<typeof UNIFORMS> {
  return { n: g.width * g.height, classes, stride, ignore, ...gridValues(g) };
}

/**
 * Adds the pixels' (ground truth, prediction) pairs to `cm` [classes * classes], row = truth.
 * Buffers: z [gh, gw, stride] (the grid g), gt [pixels], cm.
 */
export function confusionLaunch(classes: number, stride: number, g: SampleGrid, ignore = 255): Launch<'z' | 'gt' | 'cm'> {
  const npix = g.width * g.height;
  return launchOf(confusion(), uni(classes, stride, ignore, g), grid1d(Math.ceil(npix / WG)));
}

/** Each pixel's predicted class (argmax over the first `classes` of `stride` outputs). Buffers: z, label [pixels] i32. */
export function predictedLabelsLaunch(classes: number, stride: number, g: SampleGrid): Launch<'z' | 'label'> {
  const npix = g.width * g.height;
  return launchOf(labels(), uni(classes, stride, 0, g), grid1d(Math.ceil(npix / WG)));
}
