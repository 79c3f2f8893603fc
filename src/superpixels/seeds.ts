// SEEDS: Superpixels Extracted via Energy-Driven Sampling (Van den Bergh et al., ECCV 2012).
// Start from a grid of square superpixels, each made of a hierarchy of blocks; move blocks between
// neighbouring superpixels from coarse to fine levels whenever the block's colour histogram fits the
// neighbour better (histogram intersection, the paper's colour term), then move single boundary
// pixels using colour likelihood times a 3x3 shape prior (the paper's boundary term). Moves that
// would split a superpixel are refused, so every superpixel stays one connected region.
//
// Differences from OpenCV's ximgproc implementation, which the reference uses: block histograms are
// stored sparsely (a block of b x b pixels has at most b^2 distinct bins), which is what keeps
// memory at O(pixels) rather than OpenCV's dense per-block histograms; moves are tried towards the
// best of the four neighbouring labels rather than in OpenCV's fixed sweep order.
import { equalizeJoint, hsvBins, type HueMode } from './colour.js';
import type { RegionMap } from './region-map.js';
import { relabelConnected } from './relabel.js';
import { EDGE_RUNS, RING_DX, RING_DY, removableWithoutSplit } from './topology.js';

export interface SeedsOptions {
  /** Target superpixel side in pixels (32 -> about 32x32 regions); ignored when `count` is set. */
  regionSize: number;
  /** Target number of superpixels, as OpenCV's num_superpixels. */
  count?: number;
  levels: number;
  /** Exponent of the 3x3 shape prior in pixel moves; 0 disables it. */
  prior: number;
  histogramBins: number;
  /** Run each block level twice. */
  doubleStep: boolean;
  /** Pixel-level passes. */
  iterations: number;
  /** Equalise the RGB histogram (over all channels together) before converting to HSV. */
  equalize: boolean;
  hue: HueMode;
}

export const SEEDS_DEFAULTS: SeedsOptions = {
  regionSize: 32,
  levels: 5,
  prior: 3,
  histogramBins: 10,
  doubleStep: true,
  iterations: 10,
  equalize: true,
  hue: 'normalized',
};

/** One level of the block hierarchy: grid of blocks and their sparse colour histograms (CSR). */
interface BlockLevel {
  nx: number;
  ny: number;
  /** Current superpixel of each block. */
  label: Int32Array;
  size: Int32Array;
  histStart: Int32Array;
  histBin: Uint16Array;
  histCount: Int32Array;
}

export function seedsSuperpixels(rgb: Uint8Array, width: number, height: number, options: Partial<SeedsOptions> = {}): RegionMap {
  const o: SeedsOptions = { ...SEEDS_DEFAULTS, ...options };
  const binsPerChannel = o.histogramBins;
  const nbins = binsPerChannel ** 3;
  const pixBin = hsvBins(o.equalize ? equalizeJoint(rgb) : rgb, binsPerChannel, o.hue);

  // Grid of blocks per level: the top level is the initial superpixel grid (about `side` pixels a
  // cell); each level below doubles the cells per axis, up to one pixel per block. Block edges are
  // at fractional positions, so any target count works, and floor(x * n_l / W) nests exactly
  // because n_l is either 2 n_{l+1} or the full width.
  const side = o.count ? Math.sqrt((width * height) / o.count) : o.regionSize;
  const levels = Math.max(1, o.levels);
  const nxTop = Math.max(1, Math.round(width / side));
  const nyTop = Math.max(1, Math.round(height / side));
  const dims: [number, number][] = [];
  for (let l = 0; l < levels; l++) {
    const f = 2 ** (levels - 1 - l);
    dims.push([Math.min(width, nxTop * f), Math.min(height, nyTop * f)]);
  }
  const blockAt: Int32Array[] = dims.map(([nx, ny]) => {
    const map = new Int32Array(width * height);
    const colOf = Int32Array.from({ length: width }, (_, x) => Math.floor((x * nx) / width));
    for (let y = 0; y < height; y++) {
      const row = Math.floor((y * ny) / height) * nx;
      for (let x = 0; x < width; x++) map[y * width + x] = row + colOf[x]!;
    }
    return map;
  });
  const parentOf: Int32Array[] = [];
  for (let l = 0; l + 1 < levels; l++) {
    const [nx, ny] = dims[l]!;
    const [qx, qy] = dims[l + 1]!;
    const p = new Int32Array(nx * ny);
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) p[y * nx + x] = Math.floor((y * qy) / ny) * qx + Math.floor((x * qx) / nx);
    }
    parentOf.push(p);
  }
  const blockOfPixel = blockAt[0]!;
  const dense = new Int32Array(nbins);
  const touched = new Int32Array(nbins);
  const blockLevels: BlockLevel[] = dims.map(([nx, ny], l) => buildLevel(nx, ny, blockAt[l]!, pixBin, dense, touched));

  const top = levels - 1;
  const K = dims[top]![0] * dims[top]![1];
  const spHist = new Int32Array(K * nbins);
  const spSize = new Int32Array(K);
  for (let i = 0; i < pixBin.length; i++) {
    const k = blockAt[top]![i]!;
    spHist[k * nbins + pixBin[i]!]! += 1;
    spSize[k]! += 1;
  }
  const topLevel = blockLevels[top]!;
  for (let k = 0; k < K; k++) topLevel.label[k] = k;

  // Coarse to fine block moves.
  for (let l = top - 1; l >= 0; l--) {
    const lev = blockLevels[l]!;
    const par = parentOf[l]!;
    const above = blockLevels[l + 1]!;
    for (let b = 0; b < lev.label.length; b++) lev.label[b] = above.label[par[b]!]!;
    const passes = o.doubleStep ? 2 : 1;
    for (let pass = 0; pass < passes; pass++) updateBlocks(lev, spHist, spSize, nbins);
  }

  const labels = new Int32Array(width * height);
  const lev0 = blockLevels[0]!;
  for (let i = 0; i < labels.length; i++) labels[i] = lev0.label[blockOfPixel[i]!]!;
  for (let it = 0; it < o.iterations; it++) {
    if (updatePixels(labels, width, height, pixBin, spHist, spSize, nbins, o.prior) === 0) break;
  }
  return relabelConnected(labels, width, height);
}

function buildLevel(nx: number, ny: number, blockOf: Int32Array, pixBin: Uint16Array, dense: Int32Array, touched: Int32Array): BlockLevel {
  const nblocks = nx * ny;
  const size = new Int32Array(nblocks);
  for (let i = 0; i < blockOf.length; i++) size[blockOf[i]!]! += 1;
  const start = new Int32Array(nblocks + 1);
  for (let b = 0; b < nblocks; b++) start[b + 1] = start[b]! + size[b]!;
  const order = new Int32Array(blockOf.length);
  const fill = start.slice(0, nblocks);
  for (let i = 0; i < blockOf.length; i++) order[fill[blockOf[i]!]!++] = i;
  const histStart = new Int32Array(nblocks + 1);
  // A block has at most as many distinct bins as pixels, so N entries always suffice.
  const bins = new Uint16Array(blockOf.length);
  const counts = new Int32Array(blockOf.length);
  let used = 0;
  for (let b = 0; b < nblocks; b++) {
    let nt = 0;
    for (let k = start[b]!; k < start[b + 1]!; k++) {
      const bin = pixBin[order[k]!]!;
      if (dense[bin] === 0) touched[nt++] = bin;
      dense[bin]! += 1;
    }
    for (let t = 0; t < nt; t++) {
      const bin = touched[t]!;
      bins[used] = bin;
      counts[used++] = dense[bin]!;
      dense[bin] = 0;
    }
    histStart[b + 1] = used;
  }
  return {
    nx, ny, label: new Int32Array(nblocks), size,
    histStart, histBin: bins.slice(0, used), histCount: counts.slice(0, used),
  };
}

/**
 * Histogram intersection of a block with a superpixel, both normalised to unit mass. With
 * `exclude`, the block is first taken out of the superpixel (it is the block's own superpixel).
 */
function intersection(lev: BlockLevel, b: number, spHist: Int32Array, spSize: number, k: number, nbins: number, exclude: boolean): number {
  const bs = lev.size[b]!;
  const rest = exclude ? spSize - bs : spSize;
  if (rest <= 0) return 0;
  let sum = 0;
  for (let t = lev.histStart[b]!; t < lev.histStart[b + 1]!; t++) {
    const c = lev.histCount[t]!;
    const h = spHist[k * nbins + lev.histBin[t]!]! - (exclude ? c : 0);
    sum += Math.min(c / bs, h / rest);
  }
  return sum;
}

const N4X = [0, 1, 0, -1] as const;
const N4Y = [-1, 0, 1, 0] as const;

function updateBlocks(lev: BlockLevel, spHist: Int32Array, spSize: Int32Array, nbins: number): number {
  const { nx, ny, label } = lev;
  let moves = 0;
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const b = y * nx + x;
      const a = label[b]!;
      const bs = lev.size[b]!;
      if (bs === 0 || spSize[a]! <= bs) continue;
      let best = -1;
      let bestScore = -1;
      for (let d = 0; d < 4; d++) {
        const qx = x + N4X[d]!;
        const qy = y + N4Y[d]!;
        if (qx < 0 || qy < 0 || qx >= nx || qy >= ny) continue;
        const k = label[qy * nx + qx]!;
        if (k === a || k === best) continue;
        const s = intersection(lev, b, spHist, spSize[k]!, k, nbins, false);
        if (s > bestScore) {
          bestScore = s;
          best = k;
        }
      }
      if (best < 0) continue;
      if (bestScore <= intersection(lev, b, spHist, spSize[a]!, a, nbins, true)) continue;
      if (!removableWithoutSplit(label, nx, ny, x, y, a)) continue;
      for (let t = lev.histStart[b]!; t < lev.histStart[b + 1]!; t++) {
        const bin = lev.histBin[t]!;
        const c = lev.histCount[t]!;
        spHist[a * nbins + bin]! -= c;
        spHist[best * nbins + bin]! += c;
      }
      spSize[a]! -= bs;
      spSize[best]! += bs;
      label[b] = best;
      moves++;
    }
  }
  return moves;
}

function updatePixels(
  labels: Int32Array, width: number, height: number, pixBin: Uint16Array,
  spHist: Int32Array, spSize: Int32Array, nbins: number, prior: number,
): number {
  let moves = 0;
  // The 8 neighbours' labels of the current pixel (-1 outside the image), read once and shared by
  // the boundary test, the shape prior of every candidate and nothing else.
  const ring = new Int32Array(8);
  const cand = new Int32Array(4);
  // Shape prior weight for n same-label neighbours: n^prior (prior 0: constant 1).
  const weight = Float64Array.from({ length: 9 }, (_, n) => (prior > 0 ? n ** prior : 1));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const a = labels[p]!;
      const left = x > 0 ? labels[p - 1]! : a;
      const right = x + 1 < width ? labels[p + 1]! : a;
      const up = y > 0 ? labels[p - width]! : a;
      const down = y + 1 < height ? labels[p + width]! : a;
      // Only boundary pixels can move.
      if (left === a && right === a && up === a && down === a) continue;
      if (spSize[a]! <= 1) continue;
      for (let i = 0; i < 8; i++) {
        const nx = x + RING_DX[i]!;
        const ny = y + RING_DY[i]!;
        ring[i] = nx >= 0 && ny >= 0 && nx < width && ny < height ? labels[ny * width + nx]! : -1;
      }
      const bin = pixBin[p]!;
      const own = ((spHist[a * nbins + bin]! - 1) / (spSize[a]! - 1)) * weight[countIn(ring, a)]!;
      let best = -1;
      let bestScore = own;
      cand[0] = up;
      cand[1] = right;
      cand[2] = down;
      cand[3] = left;
      for (let d = 0; d < 4; d++) {
        const k = cand[d]!;
        if (k === a || k === best) continue;
        const s = (spHist[k * nbins + bin]! / spSize[k]!) * weight[countIn(ring, k)]!;
        if (s > bestScore) {
          bestScore = s;
          best = k;
        }
      }
      if (best < 0) continue;
      let mask = 0;
      for (let i = 0; i < 8; i++) if (ring[i] === a) mask |= 1 << i;
      if (EDGE_RUNS[mask]! > 1) continue;
      spHist[a * nbins + bin]! -= 1;
      spHist[best * nbins + bin]! += 1;
      spSize[a]! -= 1;
      spSize[best]! += 1;
      labels[p] = best;
      moves++;
    }
  }
  return moves;
}

function countIn(ring: Int32Array, label: number): number {
  let n = 0;
  for (let i = 0; i < 8; i++) if (ring[i] === label) n++;
  return n;
}
