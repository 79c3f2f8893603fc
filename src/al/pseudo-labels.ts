// Stage 2: pixel pseudo-labels from partial region labels, one image at a time on the GPU
// (kernels/pseudo-labels.wgsl.ts), from the stage-1 model's logits and normalised features.
import { read } from '../engine/io.js';
import { affine, mul, rsqrt, square } from '../engine/ops/elementwise.js';
import { sum } from '../engine/ops/reduce.js';
import { run } from '../engine/ops/run.js';
import { dense } from '../engine/ops/shape.js';
import { Tensor, tidy } from '../engine/tensor.js';
import { acqPixelsLaunch } from '../kernels/acquisition.wgsl.js';
import { gridOf } from '../kernels/grid-sample.wgsl.js';
import { expandLaunch, localiseLaunch, protoFeaturesLaunch, protosLaunch, thresholdLaunch, type PseudoLabelFlags, type PseudoLabelGrids } from '../kernels/pseudo-labels.wgsl.js';
import type { RegionAdjacency, RegionPixels } from '../superpixels/adjacency.js';

export type { PseudoLabelFlags };
export const DEFAULT_PSEUDO_FLAGS: PseudoLabelFlags = { localise: true, expand: true, reading: 'code' };

export interface PseudoLabelInput {
  /**
   * Logits (raw cosine; see `flags.tau` for the prototypes' temperature): rows [pixel, class] at full
   * resolution, or a grid [1, h, w, class] (or [h, w, class]) at any resolution, sampled per pixel
   * like the features.
   */
  logits: Tensor;
  /**
   * Features (need not be unit length: cosines normalise): rows [pixel, dim] at full resolution, or
   * a grid [1, h, w, dim] (or [h, w, dim]) at any resolution, e.g. the model's 1/4, sampled
   * bilinearly per pixel (align_corners false) inside the kernels; a grid needs `width`.
   */
  features: Tensor;
  /** Image width in pixels (ids.length / width rows); needed when an input is a grid of another size. */
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

/** The feature and logit grids of an input, checked, both sampled at the image's pixels. */
function gridsOf(input: PseudoLabelInput, npix: number): PseudoLabelGrids {
  const { features: f, logits: z } = input;
  // The image width: given, or that of whichever input is a grid of the image's own size.
  const own = (t: Tensor) => (t.rank >= 3 && t.shape[t.rank - 3] * t.shape[t.rank - 2] === npix ? t.shape[t.rank - 2] : undefined);
  const width = input.width ?? own(f) ?? own(z);
  return { features: gridOf(f.shape, npix, width, 'pseudo-labels: features'), logits: gridOf(z.shape, npix, width, 'pseudo-labels: logits') };
}

/** Pseudo-label map (class ids, 255 = ignore) of one image. */
export async function pseudoLabels(input: PseudoLabelInput, flags: PseudoLabelFlags = DEFAULT_PSEUDO_FLAGS): Promise<Int32Array> {
  const classes = input.logits.shape[input.logits.rank - 1];
  const dim = input.features.shape[input.features.rank - 1];
  const npix = input.ids.length;
  const grid = gridsOf(input, npix);
  const t = pairTables(input.pixels.count, input.labels, classes);
  const P = t.pairRegion.length;
  if (P === 0) return new Int32Array(npix).fill(255);
  return tidy(async () => {
    // Prototypes (Eq. 8): the code picks them by softmax at temperature 1, the text by the model's
    // probability at tau (docs/method.md difference 3). Scaling the logits once does it: the other kernels
    // take an argmax over classes or compare features, which the scale does not change.
    const z = dense(flags.reading === 'text' ? affine(input.logits, 1 / (flags.tau ?? 0.1), 0) : input.logits);
    const feat = dense(input.features);
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
    run(acqPixelsLaunch(classes, 1, grid.logits), { z, bvsb, arg, lse });
    const protoPixel = Tensor.empty([P], 'i32');
    run(protosLaunch(P, classes, grid), { z, lse, pair_region: pairRegion, pair_class: pairClass, region_start: regionStart, region_pixels: regionPixels, proto_pixel: protoPixel });
    const raw = Tensor.empty([P, dim]);
    run(protoFeaturesLaunch(P, dim, grid), { feat, proto_pixel: protoPixel, out: raw });
    const proto = mul(raw, rsqrt(sum(square(raw), 1, true)));
    const assignPair = Tensor.empty([npix], 'i32');
    const assignSim = Tensor.empty([npix]);
    // What localise and expand both read, by binding name.
    const labelled = { feat, proto, ids, lab_of: labOf, pair_start: pairStart, pair_class: pairClass };
    run(localiseLaunch(npix, classes, dim, flags, grid), { ...labelled, z, assign_pair: assignPair, assign_sim: assignSim });
    const threshold = Tensor.empty([P]);
    run(thresholdLaunch(P), { pair_region: pairRegion, region_start: regionStart, region_pixels: regionPixels, assign_pair: assignPair, assign_sim: assignSim, threshold });
    const label = Tensor.empty([npix], 'i32');
    run(expandLaunch(npix, classes, dim, flags, grid), { ...labelled, threshold, adj_start: adjStart, adj, assign_pair: assignPair, label });
    return (await read(label)) as Int32Array;
  });
}
