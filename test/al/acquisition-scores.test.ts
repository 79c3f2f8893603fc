// Margin, Entropy, BALD and KNN scores (al/acquisition.ts over the GPU statistics) against a float64
// reference written here from their definitions (docs/method-readings.md, "Margin, entropy, BALD and
// KNN"): small odd-sized images, pixels whose best classes tie, two regions with the same content
// (a tie the selection must break toward the later region), a region the undefined class
// dominates (score 0) and one without pixels (score 0). Scores agree to 1e-5 (absolute; margins
// and distances lie in [0, 2], entropies in [0, log 4]) and the budgeted selection is the one the
// reference scores give.
import { describe, expect, it } from 'vitest';
import { regionStats, scoreRegions, selectByBudget, type Acquisition, type ImageRegionStats, type RegionRef } from '../../src/al/acquisition.js';
import { regionMeanFeatures, regionUncertainty } from '../../src/al/uncertainty.js';
import { Tensor } from '../../src/engine/tensor.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { useEngine } from '../helpers.js';

useEngine();

const [K, UNDEF, TAU, PASSES, D] = [4, 3, 0.1, 3, 5];

/** One image: region id of each pixel, T + 1 logit maps (the first the deterministic one), features. */
interface Img {
  ids: number[];
  R: number;
  logits: Float32Array[];
  features: Float32Array;
}

function image(ids: number[], R: number, seed: number, undefinedRegion: number, twins: [number, number] | null): Img {
  const n = ids.length;
  const logits = Array.from({ length: PASSES + 1 }, (_, t) => Float32Array.from(randomNd([n, K], seed + t, -1, 1).data));
  const features = Float32Array.from(randomNd([n, D], seed + 50, -1, 1).data);
  for (const z of logits) {
    for (let x = 0; x < n; x++) {
      if (ids[x] === undefinedRegion) z[x * K + UNDEF] = 1; // the undefined class wins every pixel there
      else z[x * K + UNDEF] = Math.min(z[x * K + UNDEF], -0.5);
      if (x % 7 === 3) z[x * K + 1] = z[x * K + 2] = 0.8; // the two best classes tie
    }
  }
  if (twins) {
    // The second twin's pixels, in list order, copy the first's: the same values in the same order.
    const [a, b] = twins;
    const pa = ids.flatMap((r, x) => (r === a ? [x] : []));
    const pb = ids.flatMap((r, x) => (r === b ? [x] : []));
    expect(pa.length).toBe(pb.length);
    pa.forEach((x, i) => {
      for (const z of logits) z.copyWithin(pb[i] * K, x * K, (x + 1) * K);
      features.copyWithin(pb[i] * D, x * D, (x + 1) * D);
    });
  }
  return { ids, R, logits, features };
}

function csr(ids: number[], R: number) {
  const starts = new Int32Array(R + 1);
  for (const r of ids) starts[r + 1]++;
  for (let r = 0; r < R; r++) starts[r + 1] += starts[r];
  const fill = starts.slice(0, R);
  const pixels = new Int32Array(ids.length);
  ids.forEach((r, x) => (pixels[fill[r]++] = x));
  return { starts, pixels };
}

async function gpuStats(img: Img): Promise<ImageRegionStats> {
  const { starts, pixels } = csr(img.ids, img.R);
  const n = img.ids.length;
  const stats = await regionStats(Tensor.fromArray(img.logits[0], [n, K]), TAU, starts, pixels);
  // Margin and entropy read the deterministic map; BALD the T passes. One uncertainty object holds
  // margin and entropy of the first and the mutual information of the others, as the reference.
  const one = await regionUncertainty(Tensor.fromArray(img.logits[0], [n, K]), 1, TAU, starts, pixels);
  const stacked = new Float32Array(PASSES * n * K);
  img.logits.slice(1).forEach((z, t) => stacked.set(z, t * n * K));
  const mc = await regionUncertainty(Tensor.fromArray(stacked, [PASSES * n, K]), PASSES, TAU, starts, pixels);
  stats.uncertainty = { margin: one.margin, entropy: one.entropy, mutualInfo: mc.mutualInfo };
  stats.features = await regionMeanFeatures(Tensor.fromArray(img.features, [n, D]), starts, pixels);
  return stats;
}

// ---- the float64 reference ----

function probs(z: Float32Array, x: number): number[] {
  const v = Array.from({ length: K }, (_, c) => z[x * K + c] / TAU);
  const m = Math.max(...v);
  const e = v.map((t) => Math.exp(t - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((t) => t / s);
}
const H = (p: number[]) => -p.reduce((h, q) => h + (q > 0 ? q * Math.log(q) : 0), 0);

/** Per region: pixel count, majority argmax class (first max at ties, as the kernels), and the four raw scores' inputs. */
function reference(img: Img) {
  return Array.from({ length: img.R }, (_, r) => {
    const px = img.ids.flatMap((id, x) => (id === r ? [x] : []));
    const votes = new Array<number>(K).fill(0);
    let margin = 0;
    let entropy = 0;
    let mi = 0;
    const feature = new Array<number>(D).fill(0);
    for (const x of px) {
      const p = probs(img.logits[0], x);
      votes[p.indexOf(Math.max(...p))]++;
      const sorted = [...p].sort((a, b) => b - a);
      margin += (sorted[0] - sorted[1]) / px.length;
      entropy += H(p) / px.length;
      const passes = img.logits.slice(1).map((z) => probs(z, x));
      const mean = Array.from({ length: K }, (_, c) => passes.reduce((s, q) => s + q[c], 0) / PASSES);
      mi += (H(mean) - passes.reduce((s, q) => s + H(q), 0) / PASSES) / px.length;
      for (let c = 0; c < D; c++) feature[c] += img.features[x * D + c] / px.length;
    }
    const norm = Math.hypot(...feature);
    return { count: px.length, majority: votes.indexOf(Math.max(...votes)), margin, entropy, mi, unit: feature.map((f) => (norm > 0 ? f / norm : 0)) };
  });
}

function referenceScores(kind: Acquisition, refs: ReturnType<typeof reference>[], candidates: RegionRef[], labelled: RegionRef[], k: number): number[] {
  return candidates.map(({ image, region }) => {
    const r = refs[image][region];
    if (r.count === 0 || r.majority === UNDEF) return 0;
    if (kind === 'margin') return 1 - r.margin;
    if (kind === 'entropy') return r.entropy;
    if (kind === 'bald') return r.mi;
    const d = labelled.map((l) => refs[l.image][l.region]).filter((l) => l.count > 0).map((l) => 1 - l.unit.reduce((s, u, c) => s + u * r.unit[c], 0));
    d.sort((a, b) => a - b);
    const near = d.slice(0, k);
    return near.reduce((s, v) => s + v, 0) / near.length;
  });
}

describe('Margin, Entropy, BALD and KNN against the float64 reference', () => {
  // Image 0: 5x7 pixels, 5 regions (region 0 undefined, regions 1 and 3 twins); image 1: 3x9
  // pixels, 4 regions (region 2 has no pixel).
  const ids0 = [0, 0, 1, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2, 2, 0, 4, 4, 2, 2, 2, 4, 3, 3, 3, 4, 4, 4, 4, 3, 3, 4, 4, 4, 4, 4];
  const ids1 = [0, 0, 0, 1, 1, 1, 3, 3, 3, 0, 0, 1, 1, 1, 1, 3, 3, 3, 0, 0, 1, 1, 3, 3, 3, 3, 3];
  const imgs = [image(ids0, 5, 11, 0, [1, 3]), image(ids1, 4, 31, -1, null)];
  const labelled: RegionRef[] = [{ image: 0, region: 2 }, { image: 1, region: 0 }, { image: 1, region: 3 }];
  const candidates: RegionRef[] = [0, 1, 3, 4].map((region) => ({ image: 0, region })).concat([1, 2].map((region) => ({ image: 1, region })));

  for (const kind of ['margin', 'entropy', 'bald', 'knn'] as const) {
    for (const k of kind === 'knn' ? [2, 5] : [1]) {
      it(`${kind}${kind === 'knn' ? ` (k = ${k}, 3 labelled regions)` : ''}: scores, ties, the undefined and the empty region, the selection`, async () => {
        const stats = await Promise.all(imgs.map(gpuStats));
        const refs = imgs.map(reference);
        expect(refs[0][0].majority).toBe(UNDEF);
        expect(refs[1][2].count).toBe(0);
        const got = scoreRegions(kind, stats, candidates, { nu: 6, undefinedClass: UNDEF, labelled, k });
        const want = referenceScores(kind, refs, candidates, labelled, k);
        want.forEach((w, i) => expect(Math.abs(got[i] - w), `${kind} region ${JSON.stringify(candidates[i])}: ${got[i]} vs ${w}`).toBeLessThanOrEqual(1e-5));
        // The undefined region and the empty one score 0; the twins tie exactly, in both.
        expect([got[0], got[5]]).toEqual([0, 0]);
        expect(got[1]).toBe(got[2]);
        expect(want[1]).toBe(want[2]);
        expect(got[1]).toBeGreaterThan(0);
        // Scores that differ in the reference differ by far more than the error bound, so the
        // reference's order is the one the selection must follow.
        const distinct = [...new Set(want)].sort((a, b) => a - b);
        for (let i = 1; i < distinct.length; i++) expect(distinct[i] - distinct[i - 1]).toBeGreaterThan(1e-4);
        const order = candidates.map((_, i) => i).sort((a, b) => want[b] - want[a] || candidates[b].image - candidates[a].image || candidates[b].region - candidates[a].region);
        const cost = (r: RegionRef) => 1 + (r.region % 2);
        const { selected, clicks } = selectByBudget(candidates, got, 4, cost);
        const expected: RegionRef[] = [];
        let spent = 0;
        for (const i of order) {
          if (spent >= 4) break;
          expected.push(candidates[i]);
          spent += cost(candidates[i]);
        }
        expect(selected).toEqual(expected);
        expect(clicks).toBe(spent);
        // Of the twins, the later region (3) comes first.
        expect(order.indexOf(2)).toBeLessThan(order.indexOf(1));
      });
    }
  }

  it('a score that needs statistics the images lack names what is missing', async () => {
    const { starts, pixels } = csr(ids0, 5);
    const bare = await regionStats(Tensor.fromArray(imgs[0].logits[0], [35, K]), TAU, starts, pixels);
    expect(() => scoreRegions('bald', [bare], candidates.slice(0, 2), { nu: 6 })).toThrow(/bald acquisition: image 0 has no region uncertainty statistics/);
    expect(() => scoreRegions('knn', [bare], candidates.slice(0, 2), { nu: 6, labelled: [{ image: 0, region: 2 }] })).toThrow(/knn acquisition: image 0 has no region features/);
  });
});
