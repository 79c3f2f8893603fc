// Stage-2 pseudo-labels for one image (paper Sec. 3.3, Eqs. 8, 11-13; docs/method.md,
// "Stage-2 pseudo-labels").
// Tables: `ids` maps a pixel to its superpixel; labelled superpixels have an entry in `lab_of`
// (-1 otherwise) whose (superpixel, class) pairs are pairs[pair_start[l] .. pair_start[l+1]).
//   protos:    one thread a pair: the prototypical pixel x*_{s,c}, argmax over the region's pixels
//              of softmax(z)_c at temperature 1 (the code's choice, docs/method.md difference 3) (Eq. 8).
//   localise:  one thread a pixel of a labelled region: the pair whose prototype is most similar
//              (Eq. 11), or, with localisation off, the pair of the most confident class.
//   threshold: one thread a pair: the lower median of the similarities of the pixels localised to
//              it (Eq. 12), 1.0 when there are none; found by bisection on the float's ordered bits.
//   expand:    one thread a pixel: candidate regions are its own superpixel and the superpixels that
//              touch it (a 3x3 dilation, docs/method.md difference 4). Code reading: among labelled
//              candidates, the one with the largest id whose best prototype passes (some
//              prototype beats its threshold) labels the pixel with the class of its most similar
//              prototype (later regions overwrite earlier ones). Text reading (Eq. 13): the most
//              similar prototype among those above their thresholds, over all candidates.
//              Localised labels overwrite labelled pixels; everything else is 255.
// Features and logits are read at the model's own resolution (1/4) and sampled bilinearly per
// pixel (align_corners false, as resizeBilinear) inside the kernels: the full-resolution maps,
// 16x larger and often past a storage binding's limit, are never stored. Full-resolution inputs
// are the case of a grid as large as the image (every tap weight 0 or 1).
//   proto_features: one thread a (pair, channel): the sampled feature at the prototypical pixel.
import { ENTRY_PARAMS, grid1d, linearIndex, type Launch } from './kernel.js';
import { GRID_TAPS, gridRead, gridValues, type SampleGrid } from './grid-sample.wgsl.js';
import { prototypeArgmax } from './prototype.wgsl.js';
import { declared, launchOf, signature, type BindingDecl, type UniformValues } from './signature.js';

const WG = 64;
export const IGNORE = 255;

// n: pairs (protos, proto_features, threshold) or pixels (localise, expand). The feature grid is
// (fh, fw) with scales (sy, sx), the logit grid (lh, lw) with (lsy, lsx).
const UNIFORMS = {
  n: 'u32', classes: 'u32', dim: 'u32', flags: 'u32',
  width: 'u32', fh: 'u32', fw: 'u32', lh: 'u32',
  lw: 'u32', sy: 'f32', sx: 'f32',
  lsy: 'f32', lsx: 'f32',
} as const;
type Values = UniformValues<typeof UNIFORMS>;
type Decl = BindingDecl<typeof UNIFORMS>;
const n = (u: Values): number => u.n;
const i32 = (len?: (u: Values) => number): Decl => ({ type: 'i32', access: 'read', len });
const f32 = (len?: (u: Values) => number): Decl => ({ type: 'f32', access: 'read', len });
const FEAT = f32((u) => u.fh * u.fw * u.dim);
const Z = f32((u) => u.lh * u.lw * u.classes);
const PROTOS_SIG = signature('pl_protos', UNIFORMS, {
  z: Z,
  lse: f32(),
  pair_region: i32(n),
  pair_class: i32(n),
  region_start: i32(),
  region_pixels: i32(),
  proto_pixel: { type: 'i32', access: 'write', len: n },
});
const PROTO_FEATURES_SIG = signature('pl_proto_features', UNIFORMS, {
  feat: FEAT,
  proto_pixel: i32(n),
  out: { type: 'f32', access: 'write', len: (u) => u.n * u.dim },
});
const LOCALISE_SIG = signature('pl_localise', UNIFORMS, {
  feat: FEAT,
  proto: f32(),
  z: Z,
  ids: i32(n),
  lab_of: i32(),
  pair_start: i32(),
  pair_class: i32(),
  assign_pair: { type: 'i32', access: 'write', len: n },
  assign_sim: { type: 'f32', access: 'write', len: n },
});
const THRESHOLD_SIG = signature('pl_threshold', UNIFORMS, {
  pair_region: i32(n),
  region_start: i32(),
  region_pixels: i32(),
  assign_pair: i32(),
  assign_sim: f32(),
  threshold: { type: 'f32', access: 'write', len: n },
});
const EXPAND_SIG = signature('pl_expand', UNIFORMS, {
  feat: FEAT,
  proto: f32(),
  ids: i32(n),
  lab_of: i32(),
  pair_start: i32(),
  pair_class: i32(),
  threshold: f32(),
  adj_start: i32(),
  adj: i32(),
  assign_pair: i32(n),
  label: { type: 'i32', access: 'write', len: n },
});
const FLAGS = `
const LOCALISE_OFF = 1u;
const EXPAND_OFF = 2u;
const TEXT_READING = 4u;`;

// Features and logits at pixel x: each is a grid sampled bilinearly (grid-sample.wgsl.ts).
const SAMPLE = `${GRID_TAPS}
${gridRead('feature', 'feat', 'u.dim')}
fn taps(x: u32) -> Taps { return grid_taps(x, u.width, u.fh, u.fw, u.sy, u.sx); }`;
const LOGIT = `${gridRead('logit', 'z', 'u.classes')}
fn ltaps(x: u32) -> Taps { return grid_taps(x, u.width, u.lh, u.lw, u.lsy, u.lsx); }`;

const PROTOS = () =>
  declared('pl_protos', PROTOS_SIG, () => `${FLAGS}
${GRID_TAPS}
${LOGIT}
${prototypeArgmax((x, c) => `exp(logit(ltaps(${x}), ${c}) - lse[${x}])`)}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let j = ${linearIndex(WG)};
  if (j >= u.n) { return; }
  proto_pixel[j] = prototype(pair_region[j], u32(pair_class[j])).pixel;
}`);

// Eq. (11)'s cosine between the feature at pixel taps t and prototype j (unit length).
const SIM = `${SAMPLE}
fn cosine(t: Taps, j: i32) -> f32 {
  var dot = 0.0;
  var norm = 0.0;
  let po = u32(j) * u.dim;
  for (var d = 0u; d < u.dim; d++) {
    let f = feature(t, d);
    dot += f * proto[po + d];
    norm += f * f;
  }
  return dot * inverseSqrt(max(norm, 1e-24));
}`;

const PROTO_FEATURES = () =>
  declared('pl_proto_features', PROTO_FEATURES_SIG, () => `${FLAGS}
${SAMPLE}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.n * u.dim) { return; }
  out[t] = feature(taps(u32(proto_pixel[t / u.dim])), t % u.dim);
}`);

const LOCALISE = () =>
  declared('pl_localise', LOCALISE_SIG, () => `${FLAGS}
${SIM}
${LOGIT}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let x = ${linearIndex(WG)};
  if (x >= u.n) { return; }
  let l = lab_of[ids[x]];
  assign_pair[x] = -1;
  assign_sim[x] = 0.0;
  if (l < 0) { return; }
  let tp = taps(x);
  let lt = ltaps(x);
  var best = -3.4028234663852886e38;
  var best_j = pair_start[l];
  var best_sim = 0.0;
  for (var j = pair_start[l]; j < pair_start[l + 1]; j++) {
    let sim = cosine(tp, j);
    let score = select(sim, logit(lt, u32(pair_class[j])), (u.flags & LOCALISE_OFF) != 0u);
    if (score > best) { best = score; best_j = j; best_sim = sim; }
  }
  assign_pair[x] = best_j;
  assign_sim[x] = best_sim;
}`);

const THRESHOLD = () =>
  declared('pl_threshold', THRESHOLD_SIG, () => `${FLAGS}
// Floats ordered as unsigned integers: flip all bits of negatives, the sign bit of positives.
fn key(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}
fn unkey(k: u32) -> f32 {
  return bitcast<f32>(select(~k, k & 0x7fffffffu, (k & 0x80000000u) != 0u));
}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let j = ${linearIndex(WG)};
  if (j >= u.n) { return; }
  let s = pair_region[j];
  let q0 = region_start[s];
  let q1 = region_start[s + 1];
  var n = 0u;
  for (var q = q0; q < q1; q++) { if (assign_pair[region_pixels[q]] == i32(j)) { n++; } }
  if (n == 0u) { threshold[j] = 1.0; return; }
  // The lower median is the smallest v with #{sim <= v} >= floor((n - 1) / 2) + 1.
  let rank = (n - 1u) / 2u + 1u;
  var lo = 0u;
  var hi = 0xffffffffu;
  for (var it = 0u; it < 32u && lo < hi; it++) {
    let mid = lo + (hi - lo) / 2u;
    var le = 0u;
    for (var q = q0; q < q1; q++) {
      let x = region_pixels[q];
      if (assign_pair[x] == i32(j) && key(assign_sim[x]) <= mid) { le++; }
    }
    if (le >= rank) { hi = mid; } else { lo = mid + 1u; }
  }
  threshold[j] = unkey(lo);
}`);

const EXPAND = () =>
  declared('pl_expand', EXPAND_SIG, () => `${FLAGS}
${SIM}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let x = ${linearIndex(WG)};
  if (x >= u.n) { return; }
  let own = assign_pair[x];
  if (own >= 0) { label[x] = pair_class[own]; return; }
  var out = ${IGNORE};
  if ((u.flags & EXPAND_OFF) == 0u) {
    let s = ids[x];
    let tp = taps(u32(x));
    let text = (u.flags & TEXT_READING) != 0u;
    var best_region = -1;
    var best_sim = -3.4028234663852886e38;
    // Candidates: the neighbours of s (ascending ids) and s itself.
    let a0 = adj_start[s];
    let a1 = adj_start[s + 1];
    for (var q = a0; q <= a1; q++) {
      var t = s;
      if (q < a1) { t = adj[q]; }
      let l = lab_of[t];
      if (l < 0) { continue; }
      var arg_all = -1;
      var sim_all = -3.4028234663852886e38;
      var arg_pass = -1;
      var sim_pass = -3.4028234663852886e38;
      for (var j = pair_start[l]; j < pair_start[l + 1]; j++) {
        let sim = cosine(tp, j);
        if (sim > sim_all) { sim_all = sim; arg_all = j; }
        if (sim > threshold[j] && sim > sim_pass) { sim_pass = sim; arg_pass = j; }
      }
      if (arg_pass < 0) { continue; }
      if (text) {
        if (sim_pass > best_sim) { best_sim = sim_pass; out = pair_class[arg_pass]; }
      } else if (t > best_region) {
        best_region = t;
        out = pair_class[arg_all];
      }
    }
  }
  label[x] = out;
}`);

export interface PseudoLabelFlags {
  localise: boolean;
  expand: boolean;
  reading: 'code' | 'text';
  /** The model's temperature: the text reading picks prototypes by softmax(z / tau) (default 0.1). */
  tau?: number;
}

/** The image's feature grid and logit grid (both sampled at its width x height pixels). */
export interface PseudoLabelGrids {
  features: SampleGrid;
  logits: SampleGrid;
}
const ONE: SampleGrid = { width: 1, height: 1, gh: 1, gw: 1 };
const NO_GRID: PseudoLabelGrids = { features: ONE, logits: ONE };

function uni(n: number, classes: number, dim: number, f: PseudoLabelFlags, g: PseudoLabelGrids = NO_GRID): Values {
  const flags = (f.localise ? 0 : 1) | (f.expand ? 0 : 2) | (f.reading === 'text' ? 4 : 0);
  if (g.features.width !== g.logits.width) throw new Error(`pseudo-labels: feature and logit grids sampled at different image widths (${g.features.width}, ${g.logits.width})`);
  const fg = gridValues(g.features);
  const lg = gridValues(g.logits);
  return { n, classes, dim, flags, width: fg.width, fh: fg.gh, fw: fg.gw, lh: lg.gh, lw: lg.gw, sy: fg.sy, sx: fg.sx, lsy: lg.sy, lsx: lg.sx };
}
type Names<S extends { bindings: object }> = Launch<Extract<keyof S['bindings'], string>>;

/** Buffers: z [lh, lw, classes], lse [pixels], pair and region tables, proto_pixel [pairs]. */
export const protosLaunch = (pairs: number, classes: number, g: PseudoLabelGrids): Names<typeof PROTOS_SIG> =>
  launchOf(PROTOS(), uni(pairs, classes, 0, { localise: true, expand: true, reading: 'code' }, g), grid1d(Math.ceil(pairs / WG)));
/** Buffers: feat [fh, fw, dim], proto_pixel [pairs], out [pairs, dim]. */
export const protoFeaturesLaunch = (pairs: number, dim: number, g: PseudoLabelGrids): Names<typeof PROTO_FEATURES_SIG> =>
  launchOf(PROTO_FEATURES(), uni(pairs, 0, dim, { localise: true, expand: true, reading: 'code' }, g), grid1d(Math.ceil((pairs * dim) / WG)));
export const localiseLaunch = (npix: number, classes: number, dim: number, f: PseudoLabelFlags, g: PseudoLabelGrids): Names<typeof LOCALISE_SIG> =>
  launchOf(LOCALISE(), uni(npix, classes, dim, f, g), grid1d(Math.ceil(npix / WG)));
export const thresholdLaunch = (pairs: number): Names<typeof THRESHOLD_SIG> =>
  launchOf(THRESHOLD(), uni(pairs, 0, 0, { localise: true, expand: true, reading: 'code' }), grid1d(Math.ceil(pairs / WG)));
export const expandLaunch = (npix: number, classes: number, dim: number, f: PseudoLabelFlags, g: PseudoLabelGrids): Names<typeof EXPAND_SIG> =>
  launchOf(EXPAND(), uni(npix, classes, dim, f, g), grid1d(Math.ceil(npix / WG)));
