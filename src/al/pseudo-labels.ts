// Stage 2: pixel pseudo-labels from partial region labels, one image at a time on the GPU
// (kernels/pseudo-labels.wgsl.ts), from the stage-1 model's logits and normalised features.
import { read } from '../engine/io.js';
import { affine, mul, rsqrt, square } from '../engine/ops/elementwise.js';
import { sum } from '../engine/ops/reduce.js';
import { run } from '../engine/ops/run.js';
import { dense, reshape } from '../engine/ops/shape.js';
import { Tensor, tidy } from '../engine/tensor.js';
import { acqPixelsLaunch } from '../kernels/acquisition.wgsl.js';
import { expandLaunch, localiseLaunch, protoFeaturesLaunch, protosLaunch, thresholdLaunch, type FeatureGrid, type PseudoLabelFlags } from '../kernels/pseudo-labels.wgsl.js';
import type { RegionAdjacency, RegionPixels } from './superpixels/adjacency.js';

export type { PseudoLabelFlags };
export const DEFAULT_PSEUDO_FLAGS: PseudoLabelFlags = { localise: true, expand: true, reading: 'code' };

export interface PseudoLabelInput {
  /** Logits at full resolution, rows [pixel, class] (raw cosine; see `flags.tau` for the prototypes' temperature). */
  logits: Tensor;
  /**
   * Features (need not be unit length: cosines normalise): rows [pixel, dim] at full resolution, or
   * a grid [1, h, w, dim] (or [h, w, dim]) at any resolution, e.g. the model's 1/4, sampled
   * bilinearly per pixel (align_corners false) inside the kernels; a grid needs `width`.
   */
  features: Tensor;
  /** Image width in pixels (ids.length / width rows); needed when `features` is a grid. */
  width?: number;
  /** Superpixel id of each pixel. */
  ids: Int32Array;
  pixels: RegionPixels;
  adjacency: RegionAdjacency;
  /** Label bitmask of each labelled superpixel of this image. */
  labels: ReadonlyMap<number, number>;
}

/** The pair tables of the labelled superpixels, in ascending superpixel id and class order. */
export function pairTables(count: number, labels: ReadonlyMap<number, number>, classes: number) {
  const labOf = new Int32Array(count).fill(-1);
  const start: number[] = [0];
  const region: number[] = [];
  const cls: number[] = [];
  for (const s of [...labels.keys()].sort((a, b) => a - b)) {
    labOf[s] = start.length - 1;
    for (let c = 0; c < classes; c++) {
      if (labels.get(s)! & (1 << c)) {
        region.push(s);
        cls.push(c);
      }
    }
    start.push(region.length);
  }
  return { labOf, pairStart: Int32Array.from(start), pairRegion: Int32Array.from(region), pairClass: Int32Array.from(cls) };
}

/** The image and feature grid sizes of an input, checked. */
function featureGrid(input: PseudoLabelInput, npix: number): FeatureGrid {
  const f = input.features;
  const dim = f.shape[f.rank - 1];
  if (f.rank === 2) {
    // Rows at full resolution: a one-row image whose grid is the image itself.
    if (f.shape[0] !== npix) throw new Error(`pseudo-labels: features [${f.shape}] do not match ${npix} pixels`);
    return { width: npix, height: 1, fh: 1, fw: npix };
  }
  if (!(f.rank === 3 || (f.rank === 4 && f.shape[0] === 1))) throw new Error(`pseudo-labels: features must be [pixels, dim], [h, w, dim] or [1, h, w, dim], got [${f.shape}]`);
  const [fh, fw] = f.shape.slice(f.rank - 3, f.rank - 1);
  const width = input.width ?? (fh * fw === npix ? fw : 0);
  if (!width || npix % width !== 0) throw new Error(`pseudo-labels: features [${f.shape}] are a grid: give the image width (${npix} pixels)`);
  if (dim < 1) throw new Error('pseudo-labels: features have no channels');
  return { width, height: npix / width, fh, fw };
}

/** Pseudo-label map (class ids, 255 = ignore) of one image. */
export async function pseudoLabels(input: PseudoLabelInput, flags: PseudoLabelFlags = DEFAULT_PSEUDO_FLAGS): Promise<Int32Array> {
  const classes = input.logits.shape[input.logits.rank - 1];
  const dim = input.features.shape[input.features.rank - 1];
  const npix = input.ids.length;
  const grid = featureGrid(input, npix);
  if (input.logits.size !== npix * classes) {
    throw new Error(`pseudo-labels: logits [${input.logits.shape}] do not match ${npix} pixels`);
  }
  const t = pairTables(input.pixels.count, input.labels, classes);
  const P = t.pairRegion.length;
  if (P === 0) return new Int32Array(npix).fill(255);
  return tidy(async () => {
    // Prototypes (Eq. 8): the code picks them by softmax at temperature 1, the text by the model's
    // probability at tau (METHOD difference 3). Scaling the logits once does it: the other kernels
    // take an argmax over classes or compare features, which the scale does not change.
    const z = dense(flags.reading === 'text' ? affine(input.logits, 1 / (flags.tau ?? 0.1), 0) : input.logits);
    const feat = dense(reshape(input.features, [grid.fh * grid.fw, dim]));
    // An empty table (e.g. no adjacency in a one-superpixel image) binds one unused element.
    const i32 = (a: Int32Array) => Tensor.fromArray(a.length > 0 ? a : new Int32Array(1), [Math.max(a.length, 1)], 'i32');
    const ids = i32(input.ids);
    const labOf = i32(t.labOf);
    const pairStart = i32(t.pairStart);
    const pairRegion = i32(t.pairRegion);
    const pairClass = i32(t.pairClass);
    const regionStart = i32(input.pixels.offsets);
    const regionPixels = i32(input.pixels.pixels);
    const adjStart = i32(input.adjacency.offsets);
    const adj = i32(input.adjacency.neighbours);
    // log-sum-exp of z (the acquisition pass computes it as a by-product).
    const bvsb = Tensor.empty([npix]);
    const arg = Tensor.empty([npix], 'i32');
    const lse = Tensor.empty([npix]);
    run(acqPixelsLaunch(npix, classes, 1), [z, bvsb, arg, lse]);
    const protoPixel = Tensor.empty([P], 'i32');
    run(protosLaunch(P, classes), [z, lse, pairRegion, pairClass, regionStart, regionPixels, protoPixel]);
    const raw = Tensor.empty([P, dim]);
    run(protoFeaturesLaunch(P, dim, grid), [feat, protoPixel, raw]);
    const proto = mul(raw, rsqrt(sum(square(raw), 1, true)));
    const assignPair = Tensor.empty([npix], 'i32');
    const assignSim = Tensor.empty([npix]);
    run(localiseLaunch(npix, classes, dim, flags, grid), [feat, proto, z, ids, labOf, pairStart, pairClass, assignPair, assignSim]);
    const threshold = Tensor.empty([P]);
    run(thresholdLaunch(P), [pairRegion, regionStart, regionPixels, assignPair, assignSim, threshold]);
    const label = Tensor.empty([npix], 'i32');
    run(expandLaunch(npix, classes, dim, flags, grid), [feat, proto, ids, labOf, pairStart, pairClass, threshold, adjStart, adj, assignPair, label]);
    return (await read(label)) as Int32Array;
  });
}
