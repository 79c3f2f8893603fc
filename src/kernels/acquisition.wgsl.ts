// Acquisition statistics (paper Sec. 3.1, Eqs. 2-4), computed per pool image on the GPU.
// Pass 1, one thread a pixel: p = softmax(z / tau); BvSB u(x) = p_second / p_best + 1e-8 (Eq. 2;
// the authors' code adds 1e-8), the predicted class, and the log-sum-exp.
// Pass 2, one thread a region (a segmented reduction over CSR pixel lists): pixel count, mean
// BvSB, the majority predicted class, and per class c: the sum of u(x) over pixels predicted c
// and the sum of p_c(x). The last two let PixBal's second pass (Eq. 4, weights from the pool's
// mean softmax, Eq. 3) be evaluated exactly without running the model over the pool again.
// Logits z are read at the model's resolution and sampled bilinearly at each pixel
// (grid-sample.wgsl.ts): no full-resolution K-channel tensor is needed.
import { GRID_TAPS, gridRead, gridWords, type SampleGrid } from './grid-sample.wgsl.js';
import { ENTRY_PARAMS, Uniforms, grid1d, linearIndex, type KernelSpec, type Launch } from './kernel.js';

const WG = 64;
export const MAX_ACQ_CLASSES = 32;
/** Columns of the per-region stats row: count, mean BvSB, majority class. */
export const REGION_STAT_COLUMNS = 3;

const HEADER = `
struct U { n: u32, classes: u32, inv_tau: f32, width: u32, gh: u32, gw: u32, sy: f32, sx: f32 }
@group(0) @binding(0) var<uniform> u: U;`;

// The logits of pixel x: taps once, then z(t, c) per class.
const LOGITS = `${GRID_TAPS}
${gridRead('z_at', 'z', 'u.classes')}
fn taps(x: u32) -> Taps { return grid_taps(x, u.width, u.gh, u.gw, u.sy, u.sx); }`;

const PIXELS: KernelSpec = {
  name: 'acq_pixels',
  bindings: ['read', 'read_write', 'read_write', 'read_write'],
  wgsl: `${HEADER}
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read_write> bvsb: array<f32>;
@group(0) @binding(3) var<storage, read_write> arg: array<i32>;
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;
${LOGITS}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(WG)};
  if (i >= u.n) { return; }
  let t = taps(i);
  var best = -3.4028234663852886e38;
  var second = -3.4028234663852886e38;
  var best_c = 0u;
  for (var c = 0u; c < u.classes; c++) {
    let v = z_at(t, c) * u.inv_tau;
    if (v > best) { second = best; best = v; best_c = c; } else if (v > second) { second = v; }
  }
  var total = 0.0;
  for (var c = 0u; c < u.classes; c++) { total += exp(z_at(t, c) * u.inv_tau - best); }
  // p_second / p_best = exp(second - best)
  bvsb[i] = select(exp(second - best), 0.0, u.classes < 2u) + 1e-8;
  arg[i] = i32(best_c);
  lse[i] = best + log(total);
}`,
};

const REGIONS: KernelSpec = {
  name: 'acq_regions',
  bindings: ['read', 'read', 'read', 'read', 'read', 'read', 'read_write', 'read_write'],
  wgsl: `${HEADER}
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read> bvsb: array<f32>;
@group(0) @binding(3) var<storage, read> arg: array<i32>;
@group(0) @binding(4) var<storage, read> lse: array<f32>;
@group(0) @binding(5) var<storage, read> region_start: array<i32>;
@group(0) @binding(6) var<storage, read> region_pixels: array<i32>;
@group(0) @binding(7) var<storage, read_write> stats: array<f32>;
@group(0) @binding(8) var<storage, read_write> by_class: array<f32>;
${LOGITS}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let r = ${linearIndex(WG)};
  if (r >= u.n) { return; }
  var votes = array<u32, ${MAX_ACQ_CLASSES}>();
  var u_sum = array<f32, ${MAX_ACQ_CLASSES}>();
  var p_sum = array<f32, ${MAX_ACQ_CLASSES}>();
  var total = 0.0;
  let q0 = region_start[r];
  let q1 = region_start[r + 1];
  for (var q = q0; q < q1; q++) {
    let x = u32(region_pixels[q]);
    let c = u32(arg[x]);
    votes[c] += 1u;
    u_sum[c] += bvsb[x];
    total += bvsb[x];
    let t = taps(x);
    for (var k = 0u; k < u.classes; k++) { p_sum[k] += exp(z_at(t, k) * u.inv_tau - lse[x]); }
  }
  var major = 0u;
  for (var c = 1u; c < u.classes; c++) { if (votes[c] > votes[major]) { major = c; } }
  let n = f32(q1 - q0);
  stats[r * ${REGION_STAT_COLUMNS}u] = n;
  stats[r * ${REGION_STAT_COLUMNS}u + 1u] = select(0.0, total / n, n > 0.0);
  stats[r * ${REGION_STAT_COLUMNS}u + 2u] = f32(major);
  let o = r * 2u * u.classes;
  for (var c = 0u; c < u.classes; c++) {
    by_class[o + c] = u_sum[c];
    by_class[o + u.classes + c] = p_sum[c];
  }
}`,
};

function uni(n: number, classes: number, tau: number, g: SampleGrid): ArrayBuffer {
  const w = gridWords(g);
  return new Uniforms().u32(n, classes).f32(1 / tau).u32(g.width, ...w.cells).f32(...w.scales).pack();
}

/** Buffers: z [gh, gw, classes] (the grid g), bvsb, arg, lse [npix = g.width * g.height]. */
export function acqPixelsLaunch(classes: number, tau: number, g: SampleGrid): Launch {
  const npix = g.width * g.height;
  return { spec: PIXELS, uniforms: uni(npix, classes, tau, g), workgroups: grid1d(Math.ceil(npix / WG)) };
}
export function acqRegionsLaunch(regions: number, classes: number, tau: number, g: SampleGrid): Launch {
  return { spec: REGIONS, uniforms: uni(regions, classes, tau, g), workgroups: grid1d(Math.ceil(regions / WG)) };
}
