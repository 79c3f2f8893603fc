// Acquisition statistics (paper Sec. 3.1, Eqs. 2-4), computed per pool image on the GPU.
// Pass 1, one thread a pixel: p = softmax(z / tau); BvSB u(x) = p_second / p_best + 1e-8 (Eq. 2;
// the authors' code adds 1e-8), the predicted class, and the log-sum-exp.
// Pass 2, one thread a region (a segmented reduction over CSR pixel lists): pixel count, mean
// BvSB, the majority predicted class, and per class c: the sum of u(x) over pixels predicted c
// and the sum of p_c(x). The last two let PixBal's second pass (Eq. 4, weights from the pool's
// mean softmax, Eq. 3) be evaluated exactly without running the model over the pool again.
// Logits z are read at the model's resolution and sampled bilinearly at each pixel
// (grid-sample.wgsl.ts): no full-resolution K-channel tensor is needed.
import { GRID_TAPS, gridRead, gridValues, type SampleGrid } from './grid-sample.wgsl.js';
import { ENTRY_PARAMS, grid1d, linearIndex, type Launch } from './kernel.js';
import { expSum } from './log-sum-exp.wgsl.js';
import { declared, launchOf, signature, type UniformValues } from './signature.js';

const WG = 64;
export const MAX_ACQ_CLASSES = 32;
/** Columns of the per-region stats row: count, mean BvSB, majority class. */
export const REGION_STAT_COLUMNS = 3;

// n: pixels (pass 1) or regions (pass 2).
const UNIFORMS = { n: 'u32', classes: 'u32', inv_tau: 'f32', width: 'u32', gh: 'u32', gw: 'u32', sy: 'f32', sx: 'f32' } as const;
type Values = UniformValues<typeof UNIFORMS>;
const Z = { type: 'f32', access: 'read', len: (u: Values) => u.gh * u.gw * u.classes } as const;
const PIXELS_SIG = signature('acq_pixels', UNIFORMS, {
  z: Z,
  bvsb: { type: 'f32', access: 'write', len: (u) => u.n },
  arg: { type: 'i32', access: 'write', len: (u) => u.n },
  lse: { type: 'f32', access: 'write', len: (u) => u.n },
});
const REGIONS_SIG = signature('acq_regions', UNIFORMS, {
  z: Z,
  bvsb: { type: 'f32', access: 'read' },
  arg: { type: 'i32', access: 'read' },
  lse: { type: 'f32', access: 'read' },
  region_start: { type: 'i32', access: 'read', len: (u) => u.n + 1 },
  region_pixels: { type: 'i32', access: 'read', mayBeEmpty: true },
  stats: { type: 'f32', access: 'write', len: (u) => u.n * REGION_STAT_COLUMNS },
  by_class: { type: 'f32', access: 'write', len: (u) => u.n * 2 * u.classes },
});

// The logits of pixel x: taps once, then z(t, c) per class.
const LOGITS = `${GRID_TAPS}
${gridRead('z_at', 'z', 'u.classes')}
fn taps(x: u32) -> Taps { return grid_taps(x, u.width, u.gh, u.gw, u.sy, u.sx); }`;

const PIXELS = () =>
  declared('acq_pixels', PIXELS_SIG, () => `
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
  ${expSum({ max: 'best', sum: 'total', count: 'u.classes', value: (c) => `z_at(t, ${c}) * u.inv_tau`, knownMax: true })}
  // p_second / p_best = exp(second - best)
  bvsb[i] = select(exp(second - best), 0.0, u.classes < 2u) + 1e-8;
  arg[i] = i32(best_c);
  lse[i] = best + log(total);
}`);

const REGIONS = () =>
  declared('acq_regions', REGIONS_SIG, () => `
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
}`);

function uni(n: number, classes: number, tau: number, g: SampleGrid): Values {
  return { n, classes, inv_tau: 1 / tau, ...gridValues(g) };
}

/** z [gh, gw, classes] (the grid g); bvsb, arg, lse [npix = g.width * g.height]. */
export function acqPixelsLaunch(classes: number, tau: number, g: SampleGrid): Launch<keyof typeof PIXELS_SIG.bindings> {
  const npix = g.width * g.height;
  return launchOf(PIXELS(), uni(npix, classes, tau, g), grid1d(Math.ceil(npix / WG)));
}
export function acqRegionsLaunch(regions: number, classes: number, tau: number, g: SampleGrid): Launch<keyof typeof REGIONS_SIG.bindings> {
  return launchOf(REGIONS(), uni(regions, classes, tau, g), grid1d(Math.ceil(regions / WG)));
}
