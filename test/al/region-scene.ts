// The small batch the stage-1 loss tests share: two 9x11 "images" of irregular regions, keys
// image*1000 + region, with single-class, multi-class and unlabelled regions and the undefined
// class (the last of C = 7) in some label sets; random logits in [-1, 1].
import { buildRegionBatch, type LossReading, type LossWeights } from '../../src/al/region-batch.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';

/** 6 classes + the undefined class (index 6). */
export const C = 7;

export function regionScene(seed: number, reading: LossReading, weights?: LossWeights) {
  const H = 9;
  const W = 11;
  const keys = new Int32Array(2 * H * W);
  const noise = randomNd([2 * H * W], seed, 0, 1).data;
  for (let n = 0; n < 2; n++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const i = (n * H + y) * W + x;
        // wavy, irregular partition into ~8 regions per image
        const region = Math.floor((x + 2 * Math.sin(y + seed)) / 4) + 3 * Math.floor((y + (noise[i] > 0.8 ? 1 : 0)) / 4);
        keys[i] = n * 1000 + Math.max(0, region);
      }
  const labels = new Map<number, number>();
  const pick = randomNd([64], seed + 1, 0, 1).data;
  let k = 0;
  for (const key of new Set(keys)) {
    const u = pick[k++ % 64];
    if (u < 0.2) continue; // unlabelled
    let mask = 1 << Math.floor(u * 100) % C;
    if (u > 0.5) mask |= 1 << Math.floor(u * 1000) % C; // multi-class
    if (u > 0.85) mask |= 1 << (C - 1); // the undefined class
    labels.set(key, mask);
  }
  const batch = buildRegionBatch(keys, (key) => labels.get(key), C, { reading, weights });
  const z = randomNd([2, H, W, C], seed + 2, -1, 1);
  return { batch, z };
}
