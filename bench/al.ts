// Benchmarks of the method's own kernels: the fused stage-1 loss against its unfused composition
// (issue 6: 4 x 20 x 256 x 512 logits, 32x32 regions, forward + backward), and acquisition and
// stage-2 pseudo-label throughput per image.
import { regionStats } from '../src/al/acquisition.js';
import { predictImage } from '../src/al/inference.js';
import { pseudoLabels } from '../src/al/pseudo-labels.js';
import { regionAdjacency, regionPixels } from '../src/superpixels/adjacency.js';
import { regionLoss, regionLossUnfused } from '../src/al/losses.js';
import { buildRegionBatch } from '../src/al/region-batch.js';
import { backward } from '../src/engine/backward.js';
import { Generator } from '../src/engine/random.js';
import { tidy } from '../src/engine/tensor.js';
import { createModel } from '../src/model/presets.js';
import { randomNd } from '../src/kernels/cpu/nd.js';
import { timeCases, type BenchCase, type BenchContext, type BenchRow } from './harness.js';

function lossCase(name: string, fused: boolean, shape: [number, number, number, number]): BenchCase & { dispose: () => void } {
  const [N, H, W, C] = shape;
  const keys = new Int32Array(N * H * W);
  for (let n = 0; n < N; n++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) keys[(n * H + y) * W + x] = n * 65536 + Math.floor(y / 32) * 64 + Math.floor(x / 32);
  const u = randomNd([4096], 3, 0, 1).data;
  // ~80% of regions labelled, half of them with 2-3 classes (as the synthetic set's 32x32 cells).
  const labelOf = (key: number) => {
    const v = u[key % 4096];
    if (v < 0.2) return undefined;
    let m = 1 << Math.floor(v * 1000) % C;
    if (v > 0.6) m |= 1 << Math.floor(v * 7919) % C;
    if (v > 0.85) m |= 1 << Math.floor(v * 104729) % C;
    return m;
  };
  const batch = buildRegionBatch(keys, labelOf, C);
  const logits = new Generator(5).uniform(shape, -1, 1).keep();
  logits.requiresGrad = true;
  return {
    name,
    run: () =>
      tidy(() => {
        const l = (fused ? regionLoss : regionLossUnfused)(logits, batch, { tau: 0.1 });
        backward(l.total);
        logits.grad?.dispose();
        logits.grad = null;
      }),
    extra: { pixels: N * H * W, pairs: batch.pairRegion.length },
    dispose: () => logits.dispose(),
  };
}

export async function alSuite(ctx: BenchContext): Promise<BenchRow[]> {
  const shape: [number, number, number, number] = ctx.quick ? [2, 128, 256, 20] : [4, 256, 512, 20];
  const fused = lossCase(`region loss fwd+bwd fused ${shape.join('x')}`, true, shape);
  const unfused = lossCase(`region loss fwd+bwd unfused ${shape.join('x')}`, false, shape);
  const rows = await timeCases('al', [fused, unfused], ctx, { minSamples: 2, maxTime: ctx.quick ? 1 : 4 });
  rows[0].extra = { ...rows[0].extra, 'speed-up vs unfused': rows[1].ms / rows[0].ms };
  fused.dispose();
  unfused.dispose();

  // Acquisition: whole-image forward of the tiny preset + per-region statistics, per pool image.
  const model = createModel('tiny', { numClasses: 15, undefinedClass: true, seed: 0 });
  const H = 128;
  const W = 256;
  const image = new Uint8Array(H * W * 3).map((_, i) => (i * 37) % 251);
  const starts = Int32Array.from({ length: 33 }, (_, r) => r * 1024);
  const pixels = new Int32Array(H * W);
  let q = 0;
  for (let r = 0; r < 32; r++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) pixels[q++] = (Math.floor(r / 8) * 32 + y) * W + (r % 8) * 32 + x;
  const ids = new Int32Array(H * W);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) ids[y * W + x] = Math.floor(y / 32) * 8 + Math.floor(x / 32);
  const map = { width: W, height: H, ids, count: 32 };
  const blockPixels = regionPixels(map);
  const adjacency = regionAdjacency(map, 8);
  const labels = new Map(Array.from({ length: 8 }, (_, k) => [k * 4, (1 << k % 15) | (1 << (k + 3) % 15)] as [number, number]));
  const acq = await timeCases(
    'al',
    [
      {
        name: 'acquisition per pool image (tiny, 128x256)',
        run: async () => {
          await tidy(async () => {
            const { logits } = predictImage(model, { image, width: W, height: H });
            await regionStats(logits, 0.1, starts, pixels, { width: W, height: H });
          });
        },
      },
      {
        // Stage 2: forward with features, then prototypes, localisation, thresholds and expansion
        // for 8 labelled 32x32 regions of 2 classes each.
        name: 'stage-2 pseudo-labels per image (tiny, 128x256)',
        run: async () => {
          await tidy(async () => {
            const { logits, features } = predictImage(model, { image, width: W, height: H }, true);
            await pseudoLabels({ logits, features: features!, width: W, ids: map.ids, pixels: blockPixels, adjacency, labels });
          });
        },
      },
    ],
    ctx,
  );
  for (const row of acq) row.extra = { 'images/s': 1000 / row.ms };
  model.dispose();
  return [...rows, ...acq];
}
