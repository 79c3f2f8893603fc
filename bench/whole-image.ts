// Evaluation, acquisition and stage-2 pseudo-labels of one whole Cityscapes-sized image (1024x2048,
// generated; random weights) per preset: whether each runs on this adapter, its time and its peak
// GPU memory. node dist-bench/bench/whole-image.js [tiny,r50] (minutes for r50 on a software
// adapter; figures in docs/performance.md).
import { imagePseudoLabels, imageRegionStats, predictImage } from '../src/al/inference.js';
import { ConfusionMatrix } from '../src/al/metrics.js';
import { regionAdjacency, regionPixels } from '../src/superpixels/adjacency.js';
import { destroyEngine, engine, initEngine } from '../src/engine/runtime.js';
import { tidy } from '../src/engine/tensor.js';
import { createModel, isPresetName } from '../src/model/presets.js';

await initEngine();
const [H, W, C] = [1024, 2048, 19];
const image = new Uint8Array(H * W * 3).map((_, i) => (Math.imul(i, 2654435761) >>> 24) & 255);
const label = Int32Array.from({ length: H * W }, (_, i) => (i >> 11) % C);
const ids = new Int32Array(H * W);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) ids[y * W + x] = (y >> 6) * 32 + (x >> 6);
const map = { width: W, height: H, ids, count: 512 };
const regions = { ids, pixels: regionPixels(map), adjacency: regionAdjacency(map, 8) };
const labels = new Map([[0, 0b11], [100, 0b100], [300, 0b1010], [450, 0b1]]);
const sample = { image, width: W, height: H };
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

for (const preset of (process.argv[2] ?? 'tiny,r50').split(',')) {
  if (!isPresetName(preset)) throw new Error(`unknown preset ${preset}`);
  const model = createModel(preset, { numClasses: C, undefinedClass: true, seed: 1 });
  const steps: [string, () => Promise<unknown>][] = [
    [
      'eval (forward + confusion matrix)',
      async () => {
        const cm = new ConfusionMatrix(C);
        try {
          tidy(() => cm.add(predictImage(model, sample).logits, label, W));
          await cm.counts();
        } finally {
          cm.dispose();
        }
      },
    ],
    ['acquisition (forward + region statistics)', () => imageRegionStats(model, sample, regions.pixels, 0.1)],
    ['pseudo-labels (forward with features + stage-2 kernels)', () => imagePseudoLabels(model, sample, regions, labels, { localise: true, expand: true, reading: 'code' })],
  ];
  for (const [name, step] of steps) {
    engine().pool.resetPeak();
    const base = engine().pool.memory().bytesInUse;
    const t0 = performance.now();
    try {
      await step();
      const s = (performance.now() - t0) / 1000;
      console.log(`${preset} ${name}: ok, ${s.toFixed(1)} s, peak ${mib(engine().pool.memory().peakBytesInUse)} (${mib(engine().pool.memory().peakBytesInUse - base)} above the weights)`);
    } catch (e) {
      console.log(`${preset} ${name}: failed after ${((performance.now() - t0) / 1000).toFixed(1)} s: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  model.dispose();
}
await destroyEngine();
