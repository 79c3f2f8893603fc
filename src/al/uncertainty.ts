// Region statistics for the Margin, Entropy, BALD and KNN acquisitions (acquisition.ts scores them):
// per-pixel margin, entropy and mutual information from T >= 1 logit maps, and per-region means of
// them or of the decoder features, computed by kernels/uncertainty.wgsl.ts with maps read at the
// model's resolution and sampled per pixel (no full-resolution K-channel tensor).
import { readF32 } from '../engine/io.js';
import { run } from '../engine/ops/run.js';
import { dense } from '../engine/ops/shape.js';
import { Tensor, tidy } from '../engine/tensor.js';
import { gridOf, type SampleGrid } from '../kernels/grid-sample.wgsl.js';
import { regionMeansLaunch, UNCERTAINTY_COLUMNS, uncertaintyPixelsLaunch } from '../kernels/uncertainty.wgsl.js';

/** Per region, the mean over its pixels of each statistic (0 for a region without pixels). */
export interface RegionUncertainty {
  /** p(best) - p(second best) of the mean softmax. */
  margin: Float32Array;
  /** Entropy of the mean softmax, in nats. */
  entropy: Float32Array;
  /** Entropy of the mean softmax minus the mean entropy of the passes (0 up to rounding for one pass). */
  mutualInfo: Float32Array;
}

type Image = { width: number; height: number };

/**
 * The grid of one pass of `logits`, which hold `passes` maps: a grid [passes, h, w, K] (one pass
 * also [h, w, K]), or rows [passes * pixels, K] at the image's resolution.
 */
function passGrid(logits: Tensor, passes: number, image: Image | undefined): SampleGrid {
  const K = logits.shape[logits.rank - 1];
  const npix = image ? image.width * image.height : logits.size / K / passes;
  let one: readonly number[] = logits.shape;
  if (logits.rank === 4 && logits.shape[0] === passes) one = [1, ...logits.shape.slice(1)];
  else if (logits.rank === 2 && logits.shape[0] === passes * npix) one = [npix, K];
  else if (passes !== 1) throw new Error(`uncertainty: ${passes} passes need logits [${passes}, h, w, K] or [${passes} x pixels, K], got [${logits.shape}]`);
  return gridOf(one, npix, image?.width, 'uncertainty: logits');
}

/** Region means of margin, entropy and mutual information of `passes` logit maps (see passGrid). */
export async function regionUncertainty(logits: Tensor, passes: number, tau: number, regionStart: Int32Array, regionPixels: Int32Array, image?: Image): Promise<RegionUncertainty> {
  const grid = passGrid(logits, passes, image);
  const classes = logits.shape[logits.rank - 1];
  const npix = grid.width * grid.height;
  const R = regionStart.length - 1;
  const means = await tidy(async () => {
    const rows = Tensor.empty([npix, UNCERTAINTY_COLUMNS]);
    run(uncertaintyPixelsLaunch(classes, passes, tau, grid), { z: dense(logits), out: rows });
    const own = gridOf(rows.shape, npix, grid.width, 'uncertainty: rows');
    return readF32(regionMeansOf(rows, UNCERTAINTY_COLUMNS, own, regionStart, regionPixels));
  });
  const column = (c: number) => Float32Array.from({ length: R }, (_, r) => means[r * UNCERTAINTY_COLUMNS + c]);
  return { margin: column(0), entropy: column(1), mutualInfo: column(2) };
}

/**
 * Region means [R * D] of a D-channel map (the model's normalised features [1, h, w, D] or [h, w, D],
 * or rows [pixels, D]) sampled at each pixel.
 */
export async function regionMeanFeatures(features: Tensor, regionStart: Int32Array, regionPixels: Int32Array, image?: Image): Promise<{ channels: number; values: Float32Array }> {
  const channels = features.shape[features.rank - 1];
  const npix = image ? image.width * image.height : features.size / channels;
  const grid = gridOf(features.shape, npix, image?.width, 'region features: features');
  const values = await tidy(async () => readF32(regionMeansOf(dense(features), channels, grid, regionStart, regionPixels)));
  return { channels, values };
}

function regionMeansOf(x: Tensor, channels: number, grid: SampleGrid, regionStart: Int32Array, regionPixels: Int32Array): Tensor {
  const R = regionStart.length - 1;
  const means = Tensor.empty([R, channels]);
  const starts = Tensor.fromArray(regionStart, [R + 1], 'i32');
  const pixels = Tensor.fromArray(regionPixels, [regionPixels.length], 'i32');
  run(regionMeansLaunch(R, channels, grid), { x, region_start: starts, region_pixels: pixels, means });
  return means;
}
