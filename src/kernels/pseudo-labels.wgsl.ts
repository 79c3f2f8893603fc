// Stage-2 pseudo-labels for one image (paper Sec. 3.3, Eqs. 8, 11-13; METHOD.md "Stage 2").
// Tables: `ids` maps a pixel to its superpixel; labelled superpixels have an entry in `lab_of`
// (-1 otherwise) whose (superpixel, class) pairs are pairs[pair_start[l] .. pair_start[l+1]).
//   protos:    one thread a pair: the prototypical pixel x*_{s,c}, argmax over the region's pixels
//              of softmax(z)_c at temperature 1 (the code's choice, METHOD.md difference 3) (Eq. 8).
//   localise:  one thread a pixel of a labelled region: the pair whose prototype is most similar
//              (Eq. 11), or, with localisation off, the pair of the most confident class.
//   threshold: one thread a pair: the lower median of the similarities of the pixels localised to
//              it (Eq. 12), 1.0 when there are none; found by bisection on the float's ordered bits.
//   expand:    one thread a pixel: candidate regions are its own superpixel and the superpixels that
//              touch it (a 3x3 dilation, METHOD.md difference 4). Code reading: among labelled
//              candidates, the one with the largest id whose best prototype passes (some
//              prototype beats its threshold) labels the pixel with the class of its most similar
//              prototype (later regions overwrite earlier ones). Text reading (Eq. 13): the most
//              similar prototype among those above their thresholds, over all candidates.
//              Localised labels overwrite labelled pixels; everything else is 255.
// Features are read at the model's own resolution (1/4) and sampled bilinearly per pixel
// (align_corners false, as resizeBilinear) inside the kernels: the full-resolution feature map,
// 16x larger and often past a storage binding's limit, is never stored. Full-resolution features
// are the case of a grid as large as the image (every tap weight 0 or 1).
//   proto_features: one thread a (pair, channel): the sampled feature at the prototypical pixel.
import { ENTRY_PARAMS, Uniforms, grid1d, linearIndex, type KernelSpec, type Launch } from './kernel.js';
import { BILINEAR_SPAN } from './resize.wgsl.js';

const WG = 64;
export const IGNORE = 255;

const HEADER = `
struct U {
  n: u32, classes: u32, dim: u32, flags: u32,
  width: u32, fh: u32, fw: u32, _p: u32,
  sy: f32, sx: f32,
}
@group(0) @binding(0) var<uniform> u: U;
const LOCALISE_OFF = 1u;
const EXPAND_OFF = 2u;
const TEXT_READING = 4u;`;

const PROTOS: KernelSpec = {
  name: 'pl_protos',
  bindings: ['read', 'read', 'read', 'read', 'read', 'read', 'read_write'],
  wgsl: `${HEADER}
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read> lse: array<f32>;
@group(0) @binding(3) var<storage, read> pair_region: array<i32>;
@group(0) @binding(4) var<storage, read> pair_class: array<i32>;
@group(0) @binding(5) var<storage, read> region_start: array<i32>;
@group(0) @binding(6) var<storage, read> region_pixels: array<i32>;
@group(0) @binding(7) var<storage, read_write> proto_pixel: array<i32>;
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let j = ${linearIndex(WG)};
  if (j >= u.n) { return; }
  let s = pair_region[j];
  let c = u32(pair_class[j]);
  var best = -1.0;
  var arg = region_pixels[region_start[s]];
  for (var q = region_start[s]; q < region_start[s + 1]; q++) {
    let x = u32(region_pixels[q]);
    let p = exp(z[x * u.classes + c] - lse[x]);
    if (p > best) { best = p; arg = i32(x); }
  }
  proto_pixel[j] = arg;
}`,
};

// The four feature rows around image pixel x and their bilinear weights.
const SAMPLE = `${BILINEAR_SPAN}
struct Taps { row: vec4<u32>, lx: f32, ly: f32 }
// Half-pixel source coordinate (align_corners false), as resizeBilinear.
fn axis(d: u32, n: u32, s: f32) -> vec3<f32> {
  return span(max((f32(d) + 0.5) * s - 0.5, 0.0), n);
}
fn taps(x: u32) -> Taps {
  let ay = axis(x / u.width, u.fh, u.sy);
  let ax = axis(x % u.width, u.fw, u.sx);
  let r0 = u32(ay.x) * u.fw;
  let r1 = u32(ay.y) * u.fw;
  let row = vec4<u32>(r0 + u32(ax.x), r0 + u32(ax.y), r1 + u32(ax.x), r1 + u32(ax.y)) * u.dim;
  return Taps(row, ax.z, ay.z);
}
fn feature(t: Taps, d: u32) -> f32 {
  let top = feat[t.row.x + d] * (1.0 - t.lx) + feat[t.row.y + d] * t.lx;
  let bottom = feat[t.row.z + d] * (1.0 - t.lx) + feat[t.row.w + d] * t.lx;
  return top * (1.0 - t.ly) + bottom * t.ly;
}`;

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

const PROTO_FEATURES: KernelSpec = {
  name: 'pl_proto_features',
  bindings: ['read', 'read', 'read_write'],
  wgsl: `${HEADER}
@group(0) @binding(1) var<storage, read> feat: array<f32>;
@group(0) @binding(2) var<storage, read> proto_pixel: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
${SAMPLE}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let t = ${linearIndex(WG)};
  if (t >= u.n * u.dim) { return; }
  out[t] = feature(taps(u32(proto_pixel[t / u.dim])), t % u.dim);
}`,
};

const LOCALISE: KernelSpec = {
  name: 'pl_localise',
  bindings: ['read', 'read', 'read', 'read', 'read', 'read', 'read', 'read_write', 'read_write'],
  wgsl: `${HEADER}
@group(0) @binding(1) var<storage, read> feat: array<f32>;
@group(0) @binding(2) var<storage, read> proto: array<f32>;
@group(0) @binding(3) var<storage, read> z: array<f32>;
@group(0) @binding(4) var<storage, read> ids: array<i32>;
@group(0) @binding(5) var<storage, read> lab_of: array<i32>;
@group(0) @binding(6) var<storage, read> pair_start: array<i32>;
@group(0) @binding(7) var<storage, read> pair_class: array<i32>;
@group(0) @binding(8) var<storage, read_write> assign_pair: array<i32>;
@group(0) @binding(9) var<storage, read_write> assign_sim: array<f32>;
${SIM}
@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let x = ${linearIndex(WG)};
  if (x >= u.n) { return; }
  let l = lab_of[ids[x]];
  assign_pair[x] = -1;
  assign_sim[x] = 0.0;
  if (l < 0) { return; }
  let tp = taps(x);
  var best = -3.4028234663852886e38;
  var best_j = pair_start[l];
  var best_sim = 0.0;
  for (var j = pair_start[l]; j < pair_start[l + 1]; j++) {
    let sim = cosine(tp, j);
    let score = select(sim, z[x * u.classes + u32(pair_class[j])], (u.flags & LOCALISE_OFF) != 0u);
    if (score > best) { best = score; best_j = j; best_sim = sim; }
  }
  assign_pair[x] = best_j;
  assign_sim[x] = best_sim;
}`,
};

const THRESHOLD: KernelSpec = {
  name: 'pl_threshold',
  bindings: ['read', 'read', 'read', 'read', 'read', 'read_write'],
  wgsl: `${HEADER}
@group(0) @binding(1) var<storage, read> pair_region: array<i32>;
@group(0) @binding(2) var<storage, read> region_start: array<i32>;
@group(0) @binding(3) var<storage, read> region_pixels: array<i32>;
@group(0) @binding(4) var<storage, read> assign_pair: array<i32>;
@group(0) @binding(5) var<storage, read> assign_sim: array<f32>;
@group(0) @binding(6) var<storage, read_write> threshold: array<f32>;
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
}`,
};

const EXPAND: KernelSpec = {
  name: 'pl_expand',
  bindings: ['read', 'read', 'read', 'read', 'read', 'read', 'read', 'read', 'read', 'read', 'read_write'],
  wgsl: `${HEADER}
@group(0) @binding(1) var<storage, read> feat: array<f32>;
@group(0) @binding(2) var<storage, read> proto: array<f32>;
@group(0) @binding(3) var<storage, read> ids: array<i32>;
@group(0) @binding(4) var<storage, read> lab_of: array<i32>;
@group(0) @binding(5) var<storage, read> pair_start: array<i32>;
@group(0) @binding(6) var<storage, read> pair_class: array<i32>;
@group(0) @binding(7) var<storage, read> threshold: array<f32>;
@group(0) @binding(8) var<storage, read> adj_start: array<i32>;
@group(0) @binding(9) var<storage, read> adj: array<i32>;
@group(0) @binding(10) var<storage, read> assign_pair: array<i32>;
@group(0) @binding(11) var<storage, read_write> label: array<i32>;
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
}`,
};

export interface PseudoLabelFlags {
  localise: boolean;
  expand: boolean;
  reading: 'code' | 'text';
  /** The model's temperature: the text reading picks prototypes by softmax(z / tau) (default 0.1). */
  tau?: number;
}

/** The image (width x height pixels) and the feature grid (fh x fw) sampled for it. */
export interface FeatureGrid {
  width: number;
  height: number;
  fh: number;
  fw: number;
}
const NO_GRID: FeatureGrid = { width: 1, height: 1, fh: 1, fw: 1 };

function uni(n: number, classes: number, dim: number, f: PseudoLabelFlags, g: FeatureGrid = NO_GRID): ArrayBuffer {
  const flags = (f.localise ? 0 : 1) | (f.expand ? 0 : 2) | (f.reading === 'text' ? 4 : 0);
  return new Uniforms()
    .u32(n, classes, dim, flags, g.width, g.fh, g.fw, 0)
    .f32(g.fh / g.height, g.fw / g.width)
    .pack();
}

export const protosLaunch = (pairs: number, classes: number): Launch => ({
  spec: PROTOS,
  uniforms: uni(pairs, classes, 0, { localise: true, expand: true, reading: 'code' }),
  workgroups: grid1d(Math.ceil(pairs / WG)),
});
/** Buffers: feat [fh, fw, dim], proto_pixel [pairs], out [pairs, dim]. */
export const protoFeaturesLaunch = (pairs: number, dim: number, g: FeatureGrid): Launch => ({
  spec: PROTO_FEATURES,
  uniforms: uni(pairs, 0, dim, { localise: true, expand: true, reading: 'code' }, g),
  workgroups: grid1d(Math.ceil((pairs * dim) / WG)),
});
export const localiseLaunch = (npix: number, classes: number, dim: number, f: PseudoLabelFlags, g: FeatureGrid): Launch => ({
  spec: LOCALISE,
  uniforms: uni(npix, classes, dim, f, g),
  workgroups: grid1d(Math.ceil(npix / WG)),
});
export const thresholdLaunch = (pairs: number): Launch => ({
  spec: THRESHOLD,
  uniforms: uni(pairs, 0, 0, { localise: true, expand: true, reading: 'code' }),
  workgroups: grid1d(Math.ceil(pairs / WG)),
});
export const expandLaunch = (npix: number, classes: number, dim: number, f: PseudoLabelFlags, g: FeatureGrid): Launch => ({
  spec: EXPAND,
  uniforms: uni(npix, classes, dim, f, g),
  workgroups: grid1d(Math.ceil(npix / WG)),
});
