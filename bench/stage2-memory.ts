// Stage-2 pseudo-labels of one VOC-sized image (375x500) with r50 (random weights): whether it runs
// on this adapter, its time and its peak GPU memory. node dist-bench/bench/stage2-memory.js
// (minutes on a software adapter; figures in docs/performance.md).
import { predictImage } from '../src/al/inference.js';
import { pseudoLabels } from '../src/al/pseudo-labels.js';
import { regionAdjacency, regionPixels } from '../src/superpixels/adjacency.js';
import { destroyEngine, engine, initEngine } from '../src/engine/runtime.js';
import { tidy } from '../src/engine/tensor.js';
import { createModel } from '../src/model/presets.js';

await initEngine();
const [H, W] = [375, 500];
const model = createModel('r50', { numClasses: 20, undefinedClass: true, seed: 1 });
const image = new Uint8Array(H * W * 3).map((_, i) => (Math.imul(i, 2654435761) >>> 24) & 255);
// 32x32 blocks as superpixels, four of them labelled.
const across = Math.ceil(W / 32);
const ids = new Int32Array(H * W);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) ids[y * W + x] = Math.floor(y / 32) * across + Math.floor(x / 32);
const map = { width: W, height: H, ids, count: Math.ceil(H / 32) * across };
const labels = new Map([
  [0, 0b11],
  [17, 0b100],
  [40, 0b1010],
  [100, 0b1],
]);
engine().pool.resetPeak();
const t0 = performance.now();
try {
  const label = await tidy(async () => {
    const { logits, features } = predictImage(model, { image, width: W, height: H }, true);
    console.log(`features ${features!.shape.join('x')}: ${((features!.size * 4) / 2 ** 20).toFixed(1)} MiB`);
    return pseudoLabels({ logits, features: features!, width: W, ids, pixels: regionPixels(map), adjacency: regionAdjacency(map, 8), labels });
  });
  const n = label.filter((v) => v !== 255).length;
  console.log(`ok: ${n} of ${H * W} pixels labelled in ${((performance.now() - t0) / 1000).toFixed(1)} s, peak ${(engine().pool.memory().peakBytesInUse / 2 ** 20).toFixed(0)} MiB`);
} catch (e) {
  console.log(`failed after ${((performance.now() - t0) / 1000).toFixed(1)} s: ${(e as Error).message.split('\n')[0]}`);
}
await destroyEngine();
