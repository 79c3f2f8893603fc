// Stage-1 region losses, fused (paper Sec. 3.2, Eqs. (5)-(10)). Logits are rows [pixel, class];
// p = softmax(z / tau). For a pixel x of a labelled region s with label set Y:
//   s(x) = sum_{c in Y} p_c(x);  its term is -log(s(x) + eps) (eps = 0: -log s(x) from log-sum-exps): pixel CE when |Y| = 1 (Eq. 6,
//   where s(x) = p_y(x)), merged positive when |Y| > 1 (Eq. 7).
//   Prototypical pixel (Eqs. 8-9): for each (s, c in Y), |Y| > 1, the pixel x* of s with the largest
//   p_c, and the term -log(p_c(x*) + eps).
// Every term is multiplied by a weight the host computed per region (pixel terms) or per pair, so
// one kernel serves both readings of the normalisation (the code's 1/(1 + count) and the text's
// per-region means), with lambda_CE, lambda_MP and the PP weight folded in.
// Pass 1 (one thread a pixel) writes log-sum-exp and the weighted pixel terms; pass 2 (one thread a
// pair) finds x* over the region's pixel list; the backward (one thread a pixel) recomputes p and
// adds the PP gradient at the pixels that are some pair's x*. Gather-style, no atomics.
import { ENTRY_PARAMS, grid1d, linearIndex, type Launch } from './kernel.js';
import { expSum } from './log-sum-exp.wgsl.js';
import { prototypeArgmax } from './prototype.wgsl.js';
import { declared, launchOf, signature, type BindingDecl, type UniformValues } from './signature.js';

const WG = 64;

/** The host-side tables of one batch (built by al/region-batch.ts). */
export interface RegionBatch {
  npix: number;
  classes: number;
  /** Per pixel: index into the batch's region table, or -1 (not in a labelled region). */
  regionOf: Int32Array;
  /** Per region: bitmask of its label set (class c -> bit c). */
  labelMask: Uint32Array;
  pixelWeight: Float32Array;
  /** Per region: index of its first pair, or -1 when it has none (single-class, or PP off). */
  pairOffset: Int32Array;
  pairRegion: Int32Array;
  pairClass: Int32Array;
  pairWeight: Float32Array;
  /** CSR pixel lists: pixels of region r are regionPixels[regionStart[r] .. regionStart[r+1]). */
  regionStart: Int32Array;
  regionPixels: Int32Array;
  /** Counts, for logging and tests. */
  ceRegions: number;
  mpRegions: number;
  cePixels: number;
  mpPixels: number;
}

export const MAX_LOSS_CLASSES = 32;

const UNIFORMS = { npix: 'u32', classes: 'u32', npairs: 'u32', inv_tau: 'f32', eps: 'f32' } as const;
type Values = UniformValues<typeof UNIFORMS>;
type Decl = BindingDecl<typeof UNIFORMS>;
const read = (type: 'f32' | 'i32' | 'u32', len?: (u: Values) => number): Decl => ({ type, access: 'read', len });
// Per-region tables (and the pair weights in the backward): empty in a batch without labelled regions.
const table = (type: 'f32' | 'i32' | 'u32'): Decl => ({ type, access: 'read', mayBeEmpty: true });
const write = (type: 'f32' | 'i32', len: (u: Values) => number): Decl => ({ type, access: 'write', len });
const pixels = (u: Values): number => u.npix;
const pairs = (u: Values): number => u.npairs;
const Z = read('f32', (u) => u.npix * u.classes);
const PIXELS_SIG = signature('region_loss_pixels', UNIFORMS, {
  z: Z,
  region_of: read('i32', pixels),
  label_mask: table('u32'),
  pixel_weight: table('f32'),
  lse: write('f32', pixels),
  ce: write('f32', pixels),
  mp: write('f32', pixels),
});
const PAIRS_SIG = signature('region_loss_pairs', UNIFORMS, {
  z: Z,
  lse: read('f32', pixels),
  pair_region: read('i32', pairs),
  pair_class: read('i32', pairs),
  pair_weight: read('f32', pairs),
  region_start: read('i32'),
  region_pixels: table('i32'),
  pair_arg: write('i32', pairs),
  pp: write('f32', pairs),
});
const GRAD_SIG = signature('region_loss_grad', UNIFORMS, {
  z: Z,
  lse: read('f32', pixels),
  region_of: read('i32', pixels),
  label_mask: table('u32'),
  pixel_weight: table('f32'),
  pair_offset: table('i32'),
  pair_weight: table('f32'),
  pair_arg: read('i32'),
  grad_out: read('f32', () => 1),
  dz: write('f32', (u) => u.npix * u.classes),
});

// Helpers of every pass (they read the logits binding z, declared by each kernel as binding 1, and
// the uniforms inv_tau, eps and classes; kernels/partial-label-loss.wgsl.ts shares them).
//   label_lse: log sum_{c in Y} exp(z_c / tau), max-shifted; minus the row's log-sum-exp it is
//              log s(x), exact even where s(x) underflows in f32.
//   neg_log:   the term -log(s + eps) from log s; with eps = 0 (the text reading) it is -log s itself.
//   damping:   s / (s + eps), the factor eps puts on a term's gradient; 1 when eps = 0.
export const REGION_LOSS_HELPERS = `
fn label_lse(row: u32, mask: u32) -> f32 {
  ${expSum({ max: 'm', sum: 't', count: 'u.classes', value: (c) => `z[row + ${c}] * u.inv_tau`, when: (c) => `(mask & (1u << ${c})) != 0u` })}
  return m + log(t);
}
fn neg_log(log_s: f32) -> f32 {
  if (u.eps == 0.0) { return -log_s; }
  return -log(exp(log_s) + u.eps);
}
fn damping(s: f32) -> f32 {
  if (u.eps == 0.0) { return 1.0; }
  return s / (s + u.eps);
}`;

const PIXELS = () =>
  declared('region_loss_pixels', PIXELS_SIG, () => `
${REGION_LOSS_HELPERS}

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
  mp[i] = 0.0;
  if (r < 0) { return; }
  let log_s = label_lse(row, label_mask[r]) - l;
  let term = neg_log(log_s) * pixel_weight[r];
  let mask = label_mask[r];
  if (countOneBits(mask) == 1u) { ce[i] = term; } else { mp[i] = term; }
}`);

const PAIRS = () =>
  declared('region_loss_pairs', PAIRS_SIG, () => `
${REGION_LOSS_HELPERS}
// Compared as log-probabilities: the same order as p, without underflow.
${prototypeArgmax((x, c) => `z[${x} * u.classes + ${c}] * u.inv_tau - lse[${x}]`)}

@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let j = ${linearIndex(WG)};
  if (j >= u.npairs) { return; }
  let x_star = prototype(pair_region[j], u32(pair_class[j]));
  pair_arg[j] = x_star.pixel;
  pp[j] = neg_log(x_star.score) * pair_weight[j];
}`);

const GRAD = () =>
  declared('region_loss_grad', GRAD_SIG, () => `
${REGION_LOSS_HELPERS}

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
  let lse_y = label_lse(row, mask);
  // d/dz_j of -log(s + eps) = -(1 / tau) k ([j in Y] q_j - p_j), where q_j = p_j / s (computed
  // from lse_y, so it never divides by an underflowed s) and k = s / (s + eps), 1 when eps = 0.
  let a = -g * pixel_weight[r] * u.inv_tau * damping(exp(lse_y - l));
  // Pairs of this region whose prototypical pixel is i: d/dz_j of -log(p_c + eps) = -(p_c / tau)([j = c] - p_j) / (p_c + eps)
  var pp_class = array<f32, ${MAX_LOSS_CLASSES}>();
  var pp_sum = 0.0;
  let first = pair_offset[r];
  if (first >= 0) {
    var k = first;
    for (var c = 0u; c < u.classes; c++) {
      if ((mask & (1u << c)) == 0u) { continue; }
      if (pair_arg[k] == i32(i)) {
        let b = -g * pair_weight[k] * u.inv_tau * damping(exp(z[row + c] * u.inv_tau - l));
        pp_class[c] += b;
        pp_sum += b;
      }
      k++;
    }
  }
  for (var j = 0u; j < u.classes; j++) {
    let pj = exp(z[row + j] * u.inv_tau - l);
    let qj = select(0.0, exp(z[row + j] * u.inv_tau - lse_y), (mask & (1u << j)) != 0u);
    dz[row + j] = a * (qj - pj) + pp_class[j] - pp_sum * pj;
  }
}`);

function uniforms(npix: number, classes: number, npairs: number, tau: number, eps: number): Values {
  return { npix, classes, npairs, inv_tau: 1 / tau, eps };
}
type Names<S extends { bindings: object }> = Launch<Extract<keyof S['bindings'], string>>;

export function regionLossPixelsLaunch(npix: number, classes: number, tau: number, eps: number): Names<typeof PIXELS_SIG> {
  return launchOf(PIXELS(), uniforms(npix, classes, 0, tau, eps), grid1d(Math.ceil(npix / WG)));
}
export function regionLossPairsLaunch(npix: number, classes: number, npairs: number, tau: number, eps: number): Names<typeof PAIRS_SIG> {
  return launchOf(PAIRS(), uniforms(npix, classes, npairs, tau, eps), grid1d(Math.ceil(npairs / WG)));
}
export function regionLossGradLaunch(npix: number, classes: number, tau: number, eps: number): Names<typeof GRAD_SIG> {
  return launchOf(GRAD(), uniforms(npix, classes, 0, tau, eps), grid1d(Math.ceil(npix / WG)));
}
