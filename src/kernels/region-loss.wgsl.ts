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
import { ENTRY_PARAMS, Uniforms, grid1d, linearIndex, type KernelSpec, type Launch } from './kernel.js';

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

const HEADER = `
struct U { npix: u32, classes: u32, npairs: u32, inv_tau: f32, eps: f32, _p0: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> u: U;`;

// Helpers of every pass (they read the logits binding z, declared by each kernel as binding 1).
//   label_lse: log sum_{c in Y} exp(z_c / tau), max-shifted; minus the row's log-sum-exp it is
//              log s(x), exact even where s(x) underflows in f32.
//   neg_log:   the term -log(s + eps) from log s; with eps = 0 (the text reading) it is -log s itself.
//   damping:   s / (s + eps), the factor eps puts on a term's gradient; 1 when eps = 0.
const HELPERS = `
fn label_lse(row: u32, mask: u32) -> f32 {
  var m = -3.4028234663852886e38;
  for (var c = 0u; c < u.classes; c++) {
    if ((mask & (1u << c)) != 0u) { m = max(m, z[row + c] * u.inv_tau); }
  }
  var t = 0.0;
  for (var c = 0u; c < u.classes; c++) {
    if ((mask & (1u << c)) != 0u) { t += exp(z[row + c] * u.inv_tau - m); }
  }
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

const PIXELS: KernelSpec = {
  name: 'region_loss_pixels',
  bindings: ['read', 'read', 'read', 'read', 'read_write', 'read_write', 'read_write'],
  wgsl: `${HEADER}
@group(0) @binding(1) var<storage, read> z: array<f32>;
${HELPERS}
@group(0) @binding(2) var<storage, read> region_of: array<i32>;
@group(0) @binding(3) var<storage, read> label_mask: array<u32>;
@group(0) @binding(4) var<storage, read> pixel_weight: array<f32>;
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;
@group(0) @binding(6) var<storage, read_write> ce: array<f32>;
@group(0) @binding(7) var<storage, read_write> mp: array<f32>;

@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(WG)};
  if (i >= u.npix) { return; }
  let r = region_of[i];
  let row = i * u.classes;
  var m = -3.4028234663852886e38;
  for (var c = 0u; c < u.classes; c++) { m = max(m, z[row + c] * u.inv_tau); }
  var total = 0.0;
  for (var c = 0u; c < u.classes; c++) { total += exp(z[row + c] * u.inv_tau - m); }
  let l = m + log(total);
  lse[i] = l;
  ce[i] = 0.0;
  mp[i] = 0.0;
  if (r < 0) { return; }
  let log_s = label_lse(row, label_mask[r]) - l;
  let term = neg_log(log_s) * pixel_weight[r];
  let mask = label_mask[r];
  if (countOneBits(mask) == 1u) { ce[i] = term; } else { mp[i] = term; }
}`,
};

const PAIRS: KernelSpec = {
  name: 'region_loss_pairs',
  bindings: ['read', 'read', 'read', 'read', 'read', 'read', 'read', 'read_write', 'read_write'],
  wgsl: `${HEADER}
@group(0) @binding(1) var<storage, read> z: array<f32>;
${HELPERS}
@group(0) @binding(2) var<storage, read> lse: array<f32>;
@group(0) @binding(3) var<storage, read> pair_region: array<i32>;
@group(0) @binding(4) var<storage, read> pair_class: array<i32>;
@group(0) @binding(5) var<storage, read> pair_weight: array<f32>;
@group(0) @binding(6) var<storage, read> region_start: array<i32>;
@group(0) @binding(7) var<storage, read> region_pixels: array<i32>;
@group(0) @binding(8) var<storage, read_write> pair_arg: array<i32>;
@group(0) @binding(9) var<storage, read_write> pp: array<f32>;

@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let j = ${linearIndex(WG)};
  if (j >= u.npairs) { return; }
  let r = pair_region[j];
  let c = u32(pair_class[j]);
  // Compared as log-probabilities: the same order as p, without underflow; the first of equal
  // pixels wins.
  var best = -3.4028234663852886e38;
  var arg = -1;
  for (var q = region_start[r]; q < region_start[r + 1]; q++) {
    let x = u32(region_pixels[q]);
    let log_p = z[x * u.classes + c] * u.inv_tau - lse[x];
    if (log_p > best) { best = log_p; arg = i32(x); }
  }
  pair_arg[j] = arg;
  pp[j] = neg_log(best) * pair_weight[j];
}`,
};

const GRAD: KernelSpec = {
  name: 'region_loss_grad',
  bindings: ['read', 'read', 'read', 'read', 'read', 'read', 'read', 'read', 'read', 'read_write'],
  wgsl: `${HEADER}
@group(0) @binding(1) var<storage, read> z: array<f32>;
${HELPERS}
@group(0) @binding(2) var<storage, read> lse: array<f32>;
@group(0) @binding(3) var<storage, read> region_of: array<i32>;
@group(0) @binding(4) var<storage, read> label_mask: array<u32>;
@group(0) @binding(5) var<storage, read> pixel_weight: array<f32>;
@group(0) @binding(6) var<storage, read> pair_offset: array<i32>;
@group(0) @binding(7) var<storage, read> pair_weight: array<f32>;
@group(0) @binding(8) var<storage, read> pair_arg: array<i32>;
@group(0) @binding(9) var<storage, read> grad_out: array<f32>;
@group(0) @binding(10) var<storage, read_write> dz: array<f32>;

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
}`,
};

function uniforms(npix: number, classes: number, npairs: number, tau: number, eps: number): ArrayBuffer {
  return new Uniforms().u32(npix, classes, npairs).f32(1 / tau, eps).u32(0, 0, 0).pack();
}

export function regionLossPixelsLaunch(npix: number, classes: number, tau: number, eps: number): Launch {
  return { spec: PIXELS, uniforms: uniforms(npix, classes, 0, tau, eps), workgroups: grid1d(Math.ceil(npix / WG)) };
}
export function regionLossPairsLaunch(npix: number, classes: number, npairs: number, tau: number, eps: number): Launch {
  return { spec: PAIRS, uniforms: uniforms(npix, classes, npairs, tau, eps), workgroups: grid1d(Math.ceil(npairs / WG)) };
}
export function regionLossGradLaunch(npix: number, classes: number, tau: number, eps: number): Launch {
  return { spec: GRAD, uniforms: uniforms(npix, classes, 0, tau, eps), workgroups: grid1d(Math.ceil(npix / WG)) };
}
