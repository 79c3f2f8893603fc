// Acquisition: GPU region statistics vs the CPU reference; scores and budgeted selection on cases
// whose answer is known.
import { describe, expect, it } from 'vitest';
import { regionStats, scoreRegions, selectByBudget, type ImageRegionStats, type RegionRef } from '../../src/al/acquisition.js';
import { Tensor } from '../../src/engine/tensor.js';
import { regionStatsRef } from '../../src/kernels/cpu/acquisition.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { expectClose, useEngine } from '../helpers.js';

useEngine();

function irregularRegions(npix: number, R: number, seed: number) {
  const u = randomNd([npix], seed, 0, 1).data;
  const ids = Array.from(u, (v, i) => (i < R ? i : Math.floor(v * v * R))); // every region non-empty, sizes skewed
  const starts = new Int32Array(R + 1);
  for (const r of ids) starts[r + 1]++;
  for (let r = 0; r < R; r++) starts[r + 1] += starts[r];
  const fill = starts.slice(0, R);
  const pixels = new Int32Array(npix);
  ids.forEach((r, i) => (pixels[fill[r]++] = i));
  return { starts, pixels };
}

describe('acquisition statistics', () => {
  it('per-region count, mean BvSB, majority class and per-class sums match the reference (rel. error <= 1e-5)', async () => {
    const npix = 613;
    const C = 5;
    const { starts, pixels } = irregularRegions(npix, 17, 3);
    const z = randomNd([npix, C], 4, -1, 1);
    const got = await regionStats(Tensor.fromArray(z.data, [npix, C]), 0.1, starts, pixels);
    const ref = regionStatsRef(z.data, C, 0.1, starts, pixels);
    expect(Array.from(got.count)).toEqual(ref.count);
    expect(Array.from(got.majority)).toEqual(ref.majority);
    expectClose(got.meanBvsb, ref.meanBvsb, 1e-5, 'mean BvSB');
    expectClose(got.bvsbByClass, ref.bvsbByClass.flat(), 1e-5, 'BvSB by class');
    expectClose(got.probSum, ref.probSum.flat(), 1e-5, 'softmax sums');
  });
});

function stats(meanBvsb: number[], majority: number[], classes = 3): ImageRegionStats {
  const R = meanBvsb.length;
  const bvsbByClass = new Float32Array(R * classes);
  const probSum = new Float32Array(R * classes);
  majority.forEach((c, r) => {
    bvsbByClass[r * classes + c] = meanBvsb[r] * 10;
    probSum[r * classes + c] = 10;
  });
  return { classes, count: new Float32Array(R).fill(10), meanBvsb: Float32Array.from(meanBvsb), majority: Int32Array.from(majority), bvsbByClass, probSum };
}

describe('scores', () => {
  const s = [stats([0.2, 0.6, 1.0, 0.4], [0, 0, 1, 2])];
  const cands: RegionRef[] = [0, 1, 2, 3].map((region) => ({ image: 0, region }));
  it('BvSB is min-max normalised', () => {
    expect(Array.from(scoreRegions('bvsb', s, cands, { nu: 6 })).map((v) => +v.toFixed(6))).toEqual([0, 0.5, 1, 0.25]);
  });
  it('ClassBal multiplies by exp(-share of the dominant class)', () => {
    const got = scoreRegions('classbal', s, cands, { nu: 6 });
    expect(got[1]).toBeCloseTo(0.5 * Math.exp(-0.5), 6);
    expect(got[3]).toBeCloseTo(0.25 * Math.exp(-0.25), 6);
  });
  it("ClassBal normalises and counts class shares over the whole pool, labelled regions included (the authors' script)", () => {
    // Regions 0-2 (class 0) and 5 are labelled; 3 (class 0) and 4 (class 1) are candidates.
    const pool = [stats([0.1, 0.2, 0.3, 0.9, 0.8, 0.5], [0, 0, 0, 0, 1, 2])];
    const open: RegionRef[] = [3, 4].map((region) => ({ image: 0, region }));
    const got = scoreRegions('classbal', pool, open, { nu: 6 });
    // min-max over all six: 3 -> 1, 4 -> 0.875; shares over all six: class 0 4/6, class 1 1/6.
    expect(got[0]).toBeCloseTo(Math.exp(-4 / 6), 6);
    expect(got[1]).toBeCloseTo(0.875 * Math.exp(-1 / 6), 6);
    expect(got[1]).toBeGreaterThan(got[0]);
    // Over the candidates only, the order flips (both shares 1/2; 3 -> 1, 4 -> 0).
    const local = scoreRegions('classbal', pool, open, { nu: 6, over: 'candidates' });
    expect(local[0]).toBeGreaterThan(local[1]);
  });
  it('PixBal weights BvSB by (1 + nu P(c))^-2 with the pool prior of Eq. 3', () => {
    const got = scoreRegions('pixbal', s, cands, { nu: 6 });
    // prior: class 0 holds 2 of 4 regions -> 0.5; class 1 and 2 -> 0.25
    expect(got[0]).toBeCloseTo(0.2 * (1 + 6 * 0.5) ** -2, 6);
    expect(got[2]).toBeCloseTo(1.0 * (1 + 6 * 0.25) ** -2, 6);
  });
  it('regions dominated by the undefined class score 0', () => {
    const got = scoreRegions('pixbal', s, cands, { nu: 6, undefinedClass: 2 });
    expect(got[3]).toBe(0);
    expect(got[2]).toBeGreaterThan(0);
  });
});

describe('selection by budget', () => {
  const cands: RegionRef[] = [0, 1, 2, 3, 4].map((region) => ({ image: region % 2, region }));
  it('takes regions in descending score until the budget is exceeded, keeping the one that crosses it', () => {
    const scores = Float64Array.from([0.1, 0.9, 0.5, 0.7, 0.3]);
    const { selected, clicks } = selectByBudget(cands, scores, 4, (r) => (r.region === 3 ? 3 : 1));
    expect(selected.map((r) => r.region)).toEqual([1, 3]);
    expect(clicks).toBe(4);
    const more = selectByBudget(cands, scores, 5, (r) => (r.region === 3 ? 3 : 1));
    expect(more.selected.map((r) => r.region)).toEqual([1, 3, 2]);
  });
  it('breaks ties toward the larger image, then the larger region id', () => {
    const { selected } = selectByBudget(cands, new Float64Array(5).fill(1), 3, () => 1);
    expect(selected.map((r) => r.region)).toEqual([3, 1, 4]);
  });
});
