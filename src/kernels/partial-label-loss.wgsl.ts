// The partial-label baselines of the paper's Fig. 12(a), fused, in place of the merged positive and
// prototypical pixel terms (docs/method-readings.md, "The stage-1 loss baselines"). Logits are rows
// [pixel, class]; p = softmax(z / tau); a pixel x of a labelled region with label set S (its
// candidate classes) has the term
//   infimum (Cabannes et al., ICML 2020):  -log(max_{c in S} p_c + eps), the smallest cross-entropy
//                                          over the candidates;
//   rc (Feng et al., NeurIPS 2020; Lv et al., ICML 2020):  -sum_{c in S} w_c log(p_c + eps), with
//                                          w_c = p_c / sum_{c' in S} p_c' taken as a constant (no
//                                          gradient through it), re-estimated at every step.
// eps = 0 (the text reading) computes each log as a log-probability. Where |S| = 1 both are the
// pixel cross-entropy, and the kernel computes that term and its gradient exactly as
// region-loss.wgsl.ts does. Every term is multiplied by its region's host-computed weight
// (al/region-batch.ts), so the same tables and readings serve: lambda_CE on single-class regions,
// lambda_MP on the baseline's term of multi-class regions.
// Pass 1 (one thread a pixel) writes log-sum-exp and the weighted terms; the backward (one thread a
// pixel) recomputes p. At exact ties of the infimum's maximum the first class (smallest id) takes
// the gradient, as the loss's value does.
import { ENTRY_PARAMS, grid1d, linearIndex, type Launch } from './kernel.js';
import { expSum } from './log-sum-exp.wgsl.js';
import { MAX_LOSS_CLASSES, REGION_LOSS_HELPERS } from './region-loss.wgsl.js';
import { declared, launchOf, signature, type BindingDecl, type UniformValues } from './signature.js';

const WG = 64;

/** The baselines, in the order of the `mode` uniform. */
export const PARTIAL_LABEL_LOSSES = ['infimum', 'rc'] as const;
export type PartialLabelLoss = (typeof PARTIAL_LABEL_LOSSES)[number];

const UNIFORMS = { npix: 'u32', classes: 'u32', inv_tau: 'f32', eps: 'f32', mode: 'u32' } as const;
type Values = UniformValues<typeof UNIFORMS>;
type Decl = BindingDecl<typeof UNIFORMS>;
const read = (type: 'f32' | 'i32' | 'u32', len?: (u: Values) => number): Decl => ({ type, access: 'read', len });
// Per-region tables: empty in a batch without labelled regions.
const table = (type: 'f32' | 'u32'): Decl => ({ type, access: 'read', mayBeEmpty: true });
const write = (len: (u: Values) => number): Decl => ({ type: 'f32', access: 'write', len });
const pixels = (u: Values): number => u.npix;
const Z = read('f32', (u) => u.npix * u.classes);
const PIXELS_SIG = signature('partial_label_loss_pixels', UNIFORMS, {
  z: Z,
  region_of: read('i32', pixels),
  label_mask: table('u32'),
  pixel_weight: table('f32'),
  lse: write(pixels),
  ce: write(pixels),
  partial: write(pixels),
});
const GRAD_SIG = signature('partial_label_loss_grad', UNIFORMS, {
  z: Z,
  lse: read('f32', pixels),
  region_of: read('i32', pixels),
  label_mask: table('u32'),
  pixel_weight: table('f32'),
  grad_out: read('f32', () => 1),
  dz: write((u) => u.npix * u.classes),
});

// first_max: the class of S with the largest logit, the first one at ties (infimum's minimiser);
// MAX_LOSS_CLASSES marks "none seen yet" (S is never empty).
const HELPERS = `
${REGION_LOSS_HELPERS}
const INFIMUM = ${PARTIAL_LABEL_LOSSES.indexOf('infimum')}u;
fn first_max(row: u32, mask: u32) -> u32 {
  var best = 0.0;
  var arg = ${MAX_LOSS_CLASSES}u;
  for (var c = 0u; c < u.classes; c++) {
    if ((mask & (1u << c)) == 0u) { continue; }
    let v = z[row + c] * u.inv_tau;
    if (arg == ${MAX_LOSS_CLASSES}u || v > best) { best = v; arg = c; }
  }
  return arg;
}`;

const PIXELS = () =>
  declared('partial_label_loss_pixels', PIXELS_SIG, () => `
${HELPERS}

@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(WG)};
  if (i >= u.npix) { return; }
  let r = region_of[i];
  let row = i * u.classes;
  ${expSum({ max: 'm', sum: 'total', count: 'u.classes', value: (c) => `z[row + ${c}] * u.inv_tau` })}
  let l = m + log(total);
  lse[i] = l;
  ce[i] = 0.0;
  partial[i] = 0.0;
  if (r < 0) { return; }
  let mask = label_mask[r];
  if (countOneBits(mask) == 1u) {
    ce[i] = neg_log(label_lse(row, mask) - l) * pixel_weight[r];
    return;
  }
  var term = 0.0;
  if (u.mode == INFIMUM) {
    term = neg_log(z[row + first_max(row, mask)] * u.inv_tau - l);
  } else {
    // w_c = p_c / sum_S p = exp(z_c / tau - log sum_S exp(z / tau)), never a division by an underflowed sum.
    let lse_s = label_lse(row, mask);
    for (var c = 0u; c < u.classes; c++) {
      if ((mask & (1u << c)) == 0u) { continue; }
      let v = z[row + c] * u.inv_tau;
      term += exp(v - lse_s) * neg_log(v - l);
    }
  }
  partial[i] = term * pixel_weight[r];
}`);

const GRAD = () =>
  declared('partial_label_loss_grad', GRAD_SIG, () => `
${HELPERS}

@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(WG)};
  if (i >= u.npix) { return; }
  let row = i * u.classes;
  let r = region_of[i];
  if (r < 0) {
    for (var c = 0u; c < u.classes; c++) { dz[row + c] = 0.0; }
    return;
  }
  let g = grad_out[0];
  let mask = label_mask[r];
  let l = lse[i];
  let a = -g * pixel_weight[r] * u.inv_tau;
  if (countOneBits(mask) == 1u) {
    // Cross-entropy, as region-loss.wgsl.ts: -(1 / tau) k ([j = y] - p_j), k = p_y / (p_y + eps).
    let lse_y = label_lse(row, mask);
    let k = a * damping(exp(lse_y - l));
    for (var j = 0u; j < u.classes; j++) {
      let pj = exp(z[row + j] * u.inv_tau - l);
      let qj = select(0.0, exp(z[row + j] * u.inv_tau - lse_y), (mask & (1u << j)) != 0u);
      dz[row + j] = k * (qj - pj);
    }
    return;
  }
  if (u.mode == INFIMUM) {
    // d/dz_j of -log(p_m + eps) = -(1 / tau) k ([j = m] - p_j), k = p_m / (p_m + eps).
    let cm = first_max(row, mask);
    let k = a * damping(exp(z[row + cm] * u.inv_tau - l));
    for (var j = 0u; j < u.classes; j++) {
      let pj = exp(z[row + j] * u.inv_tau - l);
      dz[row + j] = k * (select(0.0, 1.0, j == cm) - pj);
    }
    return;
  }
  // d/dz_j of -sum_S w_c log(p_c + eps), w constant: -(1 / tau) ([j in S] w_j k_j - p_j sum_S w_c k_c),
  // k_c = p_c / (p_c + eps); at eps = 0 this is -(1 / tau) (w_j - p_j), the merged positive gradient.
  let lse_s = label_lse(row, mask);
  var wk_sum = 0.0;
  for (var c = 0u; c < u.classes; c++) {
    if ((mask & (1u << c)) == 0u) { continue; }
    let v = z[row + c] * u.inv_tau;
    wk_sum += exp(v - lse_s) * damping(exp(v - l));
  }
  for (var j = 0u; j < u.classes; j++) {
    let v = z[row + j] * u.inv_tau;
    let pj = exp(v - l);
    let wk = select(0.0, exp(v - lse_s) * damping(pj), (mask & (1u << j)) != 0u);
    dz[row + j] = a * (wk - wk_sum * pj);
  }
}`);

function uniforms(npix: number, classes: number, tau: number, eps: number, loss: PartialLabelLoss): Values {
  return { npix, classes, inv_tau: 1 / tau, eps, mode: PARTIAL_LABEL_LOSSES.indexOf(loss) };
}
type Names<S extends { bindings: object }> = Launch<Extract<keyof S['bindings'], string>>;

export function partialLabelPixelsLaunch(npix: number, classes: number, tau: number, eps: number, loss: PartialLabelLoss): Names<typeof PIXELS_SIG> {
  return launchOf(PIXELS(), uniforms(npix, classes, tau, eps, loss), grid1d(Math.ceil(npix / WG)));
}
export function partialLabelGradLaunch(npix: number, classes: number, tau: number, eps: number, loss: PartialLabelLoss): Names<typeof GRAD_SIG> {
  return launchOf(GRAD(), uniforms(npix, classes, tau, eps, loss), grid1d(Math.ceil(npix / WG)));
}
