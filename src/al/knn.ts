// The KNN acquisition's distance (paper Fig. 13, which the authors' code lacks; the reading is in
// docs/method-readings.md, "Margin, entropy, BALD and KNN"): a candidate region scores the mean
// cosine distance between its mean feature and those of its k nearest labelled regions, so regions
// unlike everything labelled so far come first. With k = 1 it is the distance to the nearest
// labelled point that the core-set approach covers (Sener and Savarese, "Active Learning for
// Convolutional Neural Networks: A Core-Set Approach"). Host work in float64: O(candidates x
// labelled x channels) multiply-adds, ~10^8 for the 240-image synthetic pool.

/** Row `row` of [rows, channels] values as a float64 unit vector (all zero where the row is). */
export function unitVector(values: ArrayLike<number>, channels: number, row: number): Float64Array {
  const v = new Float64Array(channels);
  let norm = 0;
  for (let c = 0; c < channels; c++) {
    v[c] = values[row * channels + c];
    norm += v[c] * v[c];
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (let c = 0; c < channels; c++) v[c] /= norm;
  return v;
}

/**
 * Each candidate's mean cosine distance (1 - a.b of unit vectors, floored at 0 against rounding) to
 * its `k` nearest reference vectors, or to all of them when there are fewer; 0 for a null candidate
 * (a region without pixels) and for every candidate when there is no reference.
 */
export function knnScores(candidates: readonly (Float64Array | null)[], reference: readonly Float64Array[], k: number): Float64Array {
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`knn: k must be a positive integer, got ${k}`);
  const scores = new Float64Array(candidates.length);
  const L = reference.length;
  if (L === 0) return scores;
  const D = reference[0].length;
  const ref = new Float64Array(L * D);
  reference.forEach((v, j) => ref.set(v, j * D));
  const kk = Math.min(k, L);
  const nearest = new Float64Array(kk);
  candidates.forEach((a, i) => {
    if (!a) return;
    nearest.fill(Infinity);
    for (let j = 0; j < L; j++) {
      let dot = 0;
      for (let c = 0; c < D; c++) dot += a[c] * ref[j * D + c];
      const d = Math.max(0, 1 - dot);
      if (d >= nearest[kk - 1]) continue;
      // Insert into the ascending list of the kk smallest distances so far.
      let at = kk - 1;
      while (at > 0 && nearest[at - 1] > d) {
        nearest[at] = nearest[at - 1];
        at--;
      }
      nearest[at] = d;
    }
    let sum = 0;
    for (let t = 0; t < kk; t++) sum += nearest[t];
    scores[i] = sum / kk;
  });
  return scores;
}
