// Whole-image inference: normalise, run the model in eval mode, keep its outputs at the model's own
// resolution (1/4 of the image). Acquisition, evaluation, label maps and pseudo-labels sample them
// bilinearly per pixel inside their kernels (kernels/grid-sample.wgsl.ts), so the full-resolution
// logits (K channels per pixel: 160 MiB for a 1024x2048 image with 20 outputs) are never stored.
import { read } from '../engine/io.js';
import { run } from '../engine/ops/run.js';
import { dense } from '../engine/ops/shape.js';
import { BindingLimitError } from '../engine/errors.js';
import { Tensor, tidy } from '../engine/tensor.js';
import { predictedLabelsLaunch } from '../kernels/confusion.wgsl.js';
import { gridOf } from '../kernels/grid-sample.wgsl.js';
import type { DeepLabV3Plus } from '../model/deeplabv3plus.js';
import { regionStats, type ImageRegionStats } from './acquisition.js';
import { regionMeanFeatures, regionUncertainty } from './uncertainty.js';
import type { DropoutRng } from '../engine/ops/dropout.js';
import { copyInto } from '../engine/ops/shape.js';
import { engine } from '../engine/runtime.js';
import { IMAGENET_MEAN, IMAGENET_STD, type LoadedSample } from '../data/dataset.js';
import { pseudoLabels, type PseudoLabelFlags } from './pseudo-labels.js';
import { cropImage, predictInTiles } from './tiles.js';
import type { RegionAdjacency, RegionPixels } from '../superpixels/adjacency.js';

type Image = Pick<LoadedSample, 'image' | 'width' | 'height'>;

/** [1, H, W, 3] ImageNet-normalised input of an RGB image. */
export function imageTensor(s: Image): Tensor {
  const n = s.width * s.height;
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = (s.image[i * 3 + c] / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
  return Tensor.fromArray(out, [1, s.height, s.width, 3]);
}

export interface ModelOutputs {
  /** [1, h, w, K] raw cosine logits at the model's output resolution. */
  logits: Tensor;
  /** [1, h, w, D] normalised features at the same resolution, when asked for. */
  features: Tensor | null;
}

/**
 * Eval-mode forward of one image; outputs stay at the model's resolution (see above). An image
 * whose activations are past the adapter's binding limit is run in tiles (tiles.ts): halving the
 * tiles' longer side until they fit, down to `minTile` pixels. `tiles` forces a tile grid.
 * `mcDropout`: Monte-Carlo dropout from that mask stream (ForwardOptions.mcDropout), BN in eval mode.
 */
export function predictImage(model: DeepLabV3Plus, s: Image, features = false, options: { tiles?: [number, number]; minTile?: number; mcDropout?: DropoutRng } = {}): ModelOutputs {
  const { mcDropout } = options;
  const x = imageTensor(s);
  const tileInput = (y0: number, y1: number, x0: number, x1: number) => imageTensor(cropImage(s, y0, y1, x0, x1));
  try {
    if (options.tiles) return predictInTiles(model, tileInput, s.height, s.width, options.tiles[0], options.tiles[1], features, mcDropout);
    let [ny, nx] = [1, 1];
    for (;;) {
      try {
        // In a scope, so a forward stopped half-way frees what it made.
        return tidy(() => {
          const out = ny === 1 && nx === 1 ? model.predict(x, { features, mcDropout }) : predictInTiles(model, tileInput, s.height, s.width, ny, nx, features, mcDropout);
          return { logits: out.logits, features: out.features };
        });
      } catch (e) {
        if (!(e instanceof BindingLimitError)) throw e;
        const min = options.minTile ?? 128;
        const canY = s.height / (2 * ny) >= min;
        const canX = s.width / (2 * nx) >= min;
        if (canY && (!canX || s.height / ny >= s.width / nx)) ny *= 2;
        else if (canX) nx *= 2;
        else throw new BindingLimitError(`${e.message} (even in ${ny}x${nx} tiles of the ${s.width}x${s.height} image)`);
      }
    }
  } finally {
    x.dispose();
  }
}

/** What an acquisition reads besides the deterministic statistics (acquisition.ts, ACQUISITION_INPUT). */
export interface StatsRequest {
  /**
   * Region means of margin, entropy and mutual information: of the model's output (passes 1), or
   * of `passes` Monte-Carlo dropout forwards drawing their masks from `mcDropout` (BALD).
   */
  uncertainty?: { passes: number; mcDropout?: DropoutRng };
  /** Region means of the normalised decoder features (KNN). */
  features?: boolean;
}

/**
 * Acquisition statistics of one pool image (its forward, then the region kernels), with what
 * `request` asks for besides. The deterministic statistics (count, majority class, BvSB, PixBal's
 * sums) always come from the eval-mode forward, so the undefined-class rule reads the same
 * prediction for every acquisition.
 */
export async function imageRegionStats(model: DeepLabV3Plus, s: Image, regions: RegionPixels, tau: number, request: StatsRequest = {}): Promise<ImageRegionStats> {
  return tidy(async () => {
    const { logits, features } = predictImage(model, s, request.features === true);
    const stats = await regionStats(logits, tau, regions.offsets, regions.pixels, s);
    if (features) stats.features = await regionMeanFeatures(features, regions.offsets, regions.pixels, s);
    const u = request.uncertainty;
    if (u) {
      const maps = u.passes === 1 && !u.mcDropout ? logits : monteCarloLogits(model, s, u.passes, u.mcDropout);
      stats.uncertainty = await regionUncertainty(maps, u.passes, tau, regions.offsets, regions.pixels, s);
    }
    return stats;
  });
}

/** `passes` eval-mode forwards with Monte-Carlo dropout from `rng`, stacked [passes, h, w, K]. */
function monteCarloLogits(model: DeepLabV3Plus, s: Image, passes: number, rng: DropoutRng | undefined): Tensor {
  if (!rng) throw new Error('Monte-Carlo dropout passes need a mask stream (mcDropout)');
  let stacked: Tensor | null = null;
  for (let t = 0; t < passes; t++) {
    const { logits } = predictImage(model, s, false, { mcDropout: rng });
    const [, h, w, K] = logits.shape;
    if (!stacked) {
      const bytes = passes * h * w * K * 4;
      const { maxStorageBufferBindingSize: bind, maxBufferSize: buf } = engine().limits;
      if (bytes > Math.min(bind, buf)) {
        throw new BindingLimitError(`BALD: ${passes} passes of [${h}, ${w}, ${K}] logits need ${(bytes / 2 ** 20).toFixed(1)} MiB in one binding, over this adapter's ${(Math.min(bind, buf) / 2 ** 20).toFixed(1)} MiB; use fewer --bald-passes`);
      }
      stacked = Tensor.empty([passes, h, w, K]);
    }
    const slot = stacked.view([1, h, w, K], stacked.strides, t * h * w * K);
    copyInto(slot, logits);
    slot.dispose();
    logits.dispose();
  }
  return stacked!;
}

/** Stage-2 pseudo-labels of one labelled image (its forward with features, then the kernels). */
export async function imagePseudoLabels(
  model: DeepLabV3Plus,
  s: Image,
  regions: { ids: Int32Array; pixels: RegionPixels; adjacency: RegionAdjacency },
  labels: ReadonlyMap<number, number>,
  flags: PseudoLabelFlags,
): Promise<Int32Array> {
  return tidy(async () => {
    const { logits, features } = predictImage(model, s, true);
    return pseudoLabels({ logits, features: features!, width: s.width, ...regions, labels }, flags);
  });
}

/**
 * Each pixel's class (argmax over the first `classes` outputs) of a width x height image, from
 * logits at any resolution ([1, h, w, K] or [h, w, K]) or rows [pixels, K], sampled per pixel on
 * the GPU.
 */
export async function labelMap(logits: Tensor, classes: number, image: { width: number; height: number }): Promise<Uint8Array> {
  const outputs = logits.shape[logits.rank - 1];
  if (classes > outputs) throw new Error(`label map: ${classes} classes but the logits have ${outputs} outputs`);
  const npix = image.width * image.height;
  const grid = gridOf(logits.shape, npix, logits.rank === 2 ? undefined : image.width, 'label map: logits');
  const labels = await tidy(async () => {
    const out = Tensor.empty([npix], 'i32');
    run(predictedLabelsLaunch(classes, outputs, grid), { z: dense(logits), label: out });
    return (await read(out)) as Int32Array;
  });
  return Uint8Array.from(labels);
}

/** Argmax over the first `classes` outputs of [.., K] logits read back to the host. */
export function argmaxRows(values: Float32Array, outputs: number, classes: number): Uint8Array {
  const n = values.length / outputs;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[i * outputs + c] > values[i * outputs + best]) best = c;
    out[i] = best;
  }
  return out;
}
