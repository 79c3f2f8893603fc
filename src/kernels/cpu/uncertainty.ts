// CPU reference of the uncertainty statistics (kernels/uncertainty.wgsl.ts), float64, written from
// the definitions rather than the kernel's formulas: probabilities by a max-shifted softmax, the
// entropies as -sum p log p.

export interface PixelUncertaintyRef {
  margin: Float64Array;
  entropy: Float64Array;
  mutualInfo: Float64Array;
}

function softmax(row: readonly number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

const entropy = (p: readonly number[]) => -p.reduce((h, q) => h + (q > 0 ? q * Math.log(q) : 0), 0);

/**
 * Per pixel, from T passes of logits (each rows [pixels, classes] at the image's resolution):
 * margin and entropy of the mean softmax(z / tau) over the passes, and the mutual information
 * H(mean p) - mean H(p).
 */
export function pixelUncertaintyRef(passes: readonly ArrayLike<number>[], classes: number, tau: number): PixelUncertaintyRef {
  const npix = passes[0].length / classes;
  const out: PixelUncertaintyRef = { margin: new Float64Array(npix), entropy: new Float64Array(npix), mutualInfo: new Float64Array(npix) };
  for (let x = 0; x < npix; x++) {
    const pBar = new Array<number>(classes).fill(0);
    let hMean = 0;
    for (const z of passes) {
      const p = softmax(Array.from({ length: classes }, (_, c) => z[x * classes + c] / tau));
      p.forEach((q, c) => (pBar[c] += q / passes.length));
      hMean += entropy(p) / passes.length;
    }
    const sorted = [...pBar].sort((a, b) => b - a);
    out.margin[x] = sorted[0] - (sorted[1] ?? 0);
    out.entropy[x] = entropy(pBar);
    out.mutualInfo[x] = out.entropy[x] - hMean;
  }
  return out;
}

/** Mean of each of `channels` columns of rows [pixels, channels] over each region's pixel list (0 for an empty region). */
export function regionMeansRef(rows: ArrayLike<number>, channels: number, starts: ArrayLike<number>, pixels: ArrayLike<number>): Float64Array {
  const R = starts.length - 1;
  const out = new Float64Array(R * channels);
  for (let r = 0; r < R; r++) {
    const n = starts[r + 1] - starts[r];
    for (let q = starts[r]; q < starts[r + 1]; q++) for (let c = 0; c < channels; c++) out[r * channels + c] += rows[pixels[q] * channels + c] / n;
  }
  return out;
}
