// Per-pixel uncertainty for the Margin, Entropy and BALD acquisitions (docs/method-readings.md,
// "Margin, entropy, BALD and KNN"), and per-region means of any map sampled at pixels.
// Pass 1, one thread a pixel, over T >= 1 logit grids stacked as [T, gh, gw, K] (T = 1: the
// model's deterministic output; T > 1: Monte-Carlo dropout passes): p_t = softmax(z_t / tau) per
// pass, p_bar = mean_t p_t, and three columns per pixel:
//   margin   p_bar(best) - p_bar(second best)
//   entropy  H(p_bar) = -sum_c p_bar_c log p_bar_c (nats)
//   mi       H(p_bar) - mean_t H(p_t), BALD's mutual information (Houlsby et al., "Bayesian Active
//            Learning for Classification and Preference Learning"; Gal et al., "Deep Bayesian Active
//            Learning with Image Data"): >= 0 in exact arithmetic, a few ulps below 0 in f32.
// H(p_t) is taken as lse_t - sum_c p_t,c v_t,c (v = z / tau), which needs no log of a probability
// that underflowed; H(p_bar) skips classes whose p_bar is 0 (0 log 0 = 0).
// Pass 2, one thread per (region, channel): the mean over the region's CSR pixel list of a grid
// [gh, gw, C] sampled bilinearly at each pixel (grid-sample.wgsl.ts): pass 1's rows [pixels, 3] (a
// grid the image's own size, read bit for bit) or the model's 1/4-resolution features (KNN).
// Sums run in f32 in pixel-list order.
import { GRID_TAPS, gridRead, gridValues, type SampleGrid } from './grid-sample.wgsl.js';
import { ENTRY_PARAMS, grid1d, linearIndex, type Launch } from './kernel.js';
import { expSum } from './log-sum-exp.wgsl.js';
import { declared, launchOf, signature, type UniformValues } from './signature.js';

const WG = 64;
/** Most classes pass 1 holds per pixel (as the other acquisition statistics). */
export const MAX_UNCERTAINTY_CLASSES = 32;
/** Columns of pass 1's rows: margin, entropy, mutual information. */
export const UNCERTAINTY_COLUMNS = 3;

const GRID = { width: 'u32', gh: 'u32', gw: 'u32', sy: 'f32', sx: 'f32' } as const;
const PIXEL_UNIFORMS = { n: 'u32', classes: 'u32', passes: 'u32', inv_tau: 'f32', ...GRID } as const;
const PIXELS_SIG = signature('acq_uncertainty_pixels', PIXEL_UNIFORMS, {
  z: { type: 'f32', access: 'read', len: (u) => u.passes * u.gh * u.gw * u.classes },
  out: { type: 'f32', access: 'write', len: (u) => u.n * UNCERTAINTY_COLUMNS },
});
const MEAN_UNIFORMS = { n: 'u32', channels: 'u32', ...GRID } as const;
const MEANS_SIG = signature('region_means', MEAN_UNIFORMS, {
  x: { type: 'f32', access: 'read', len: (u) => u.gh * u.gw * u.channels },
  region_start: { type: 'i32', access: 'read', len: (u) => u.n + 1 },
  region_pixels: { type: 'i32', access: 'read', mayBeEmpty: true },
  means: { type: 'f32', access: 'write', len: (u) => u.n * u.channels },
});

const PIXELS = () =>
  declared('acq_uncertainty_pixels', PIXELS_SIG, () => `
${GRID_TAPS}
${gridRead('z_at', 'z', 'u.classes')}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(WG)};
  if (i >= u.n) { return; }
  let t = grid_taps(i, u.width, u.gh, u.gw, u.sy, u.sx);
  // Pass k's values sit k * (gh * gw * classes) further on: an offset added to the channel.
  let pass_stride = u.gh * u.gw * u.classes;
  var p_bar = array<f32, ${MAX_UNCERTAINTY_CLASSES}>();
  var h_sum = 0.0;
  for (var k = 0u; k < u.passes; k++) {
    let base = k * pass_stride;
    ${expSum({ max: 'best', sum: 'total', count: 'u.classes', value: (c) => `z_at(t, base + ${c}) * u.inv_tau` })}
    let lse = best + log(total);
    var pv = 0.0;
    for (var c = 0u; c < u.classes; c++) {
      let v = z_at(t, base + c) * u.inv_tau;
      let p = exp(v - lse);
      p_bar[c] += p;
      pv += p * v;
    }
    h_sum += lse - pv;
  }
  let inv_t = 1.0 / f32(u.passes);
  var first = 0.0;
  var second = 0.0;
  var h_bar = 0.0;
  for (var c = 0u; c < u.classes; c++) {
    let p = p_bar[c] * inv_t;
    if (p > first) { second = first; first = p; } else if (p > second) { second = p; }
    if (p > 0.0) { h_bar -= p * log(p); }
  }
  out[i * ${UNCERTAINTY_COLUMNS}u] = first - second;
  out[i * ${UNCERTAINTY_COLUMNS}u + 1u] = h_bar;
  out[i * ${UNCERTAINTY_COLUMNS}u + 2u] = h_bar - h_sum * inv_t;
}`);

const MEANS = () =>
  declared('region_means', MEANS_SIG, () => `
${GRID_TAPS}
${gridRead('x_at', 'x', 'u.channels')}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(WG)};
  if (i >= u.n * u.channels) { return; }
  let r = i / u.channels;
  let c = i % u.channels;
  let q0 = region_start[r];
  let q1 = region_start[r + 1];
  var total = 0.0;
  for (var q = q0; q < q1; q++) {
    total += x_at(grid_taps(u32(region_pixels[q]), u.width, u.gh, u.gw, u.sy, u.sx), c);
  }
  means[i] = select(0.0, total / f32(q1 - q0), q1 > q0);
}`);

/**
 * z: `passes` logit grids [passes, gh, gw, classes] (the grid g); out: rows [g.width * g.height, 3]
 * of margin, entropy and mutual information.
 */
export function uncertaintyPixelsLaunch(classes: number, passes: number, tau: number, g: SampleGrid): Launch<keyof typeof PIXELS_SIG.bindings> {
  if (classes > MAX_UNCERTAINTY_CLASSES) throw new Error(`uncertainty: at most ${MAX_UNCERTAINTY_CLASSES} classes, got ${classes}`);
  if (!(Number.isInteger(passes) && passes >= 1)) throw new Error(`uncertainty: passes must be a positive integer, got ${passes}`);
  const npix = g.width * g.height;
  const u: UniformValues<typeof PIXEL_UNIFORMS> = { n: npix, classes, passes, inv_tau: 1 / tau, ...gridValues(g) };
  return launchOf(PIXELS(), u, grid1d(Math.ceil(npix / WG)));
}

/** x: a grid [gh, gw, channels] (g) read at pixels; means [regions, channels]. */
export function regionMeansLaunch(regions: number, channels: number, g: SampleGrid): Launch<keyof typeof MEANS_SIG.bindings> {
  const u: UniformValues<typeof MEAN_UNIFORMS> = { n: regions, channels, ...gridValues(g) };
  return launchOf(MEANS(), u, grid1d(Math.ceil((regions * channels) / WG)));
}
