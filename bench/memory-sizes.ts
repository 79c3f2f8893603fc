// Memory over a whole run on images of many sizes (as VOC has) against the same run on images of
// one size: the buffer pool's footprint should depend on the largest image, not on how many sizes
// it meets. Generates two VOC-layout sets from the synthetic scenes (varied: 200-500 px a side;
// fixed: 320x240), runs the same 3-round tiny run on each in a child process, and prints the peak
// pool allocation and resident memory of each. node dist-bench/bench/memory-sizes.js [--images N]
// (a few minutes on a software adapter; figures in docs/performance.md).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { DEFAULT_CONFIG } from '../src/al/config.js';
import { CITYSCAPES_LABEL_TO_TRAIN } from '../src/data/cityscapes-labels.js';
import { writePalettePng } from '../src/data/png.js';
import { generateScene } from '../src/data/synthetic-scene.js';
import { vocColorMap } from '../src/data/voc-labels.js';
import { runActiveLearning } from '../src/run/rounds.js';
import { memory } from '../src/engine/io.js';
import { destroyEngine, initEngine } from '../src/engine/runtime.js';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const images = Number(arg('--images') ?? 80);
const base = join(tmpdir(), `alseg-memory-sizes-${images}`);

function writeSet(root: string, size: (i: number) => [number, number]): void {
  if (existsSync(join(root, 'done'))) return;
  mkdirSync(join(root, 'ImageSets', 'Segmentation'), { recursive: true });
  mkdirSync(join(root, 'JPEGImages'), { recursive: true });
  const val = Math.max(4, Math.round(images / 4));
  const splits: Record<string, string[]> = { train: [], val: [] };
  for (let i = 0; i < images + val; i++) {
    const [width, height] = size(i);
    const scene = generateScene(1000 + i, { width, height });
    const id = `img${String(i).padStart(4, '0')}`;
    (i < images ? splits.train : splits.val).push(id);
    const rgba = new Uint8Array(width * height * 4);
    for (let p = 0; p < width * height; p++) {
      rgba.set(scene.image.data.subarray(3 * p, 3 * p + 3), 4 * p);
      rgba[4 * p + 3] = 255;
    }
    writeFileSync(join(root, 'JPEGImages', `${id}.jpg`), jpeg.encode({ width, height, data: rgba }, 92).data);
    // Cityscapes train ids 0..18 are valid VOC class ids; void stays 255.
    const label = scene.labelIds.data.map((v) => CITYSCAPES_LABEL_TO_TRAIN[v]);
    writePalettePng(join(root, 'SegmentationClass', `${id}.png`), { width, height, data: label }, vocColorMap(256));
  }
  for (const [split, ids] of Object.entries(splits)) writeFileSync(join(root, 'ImageSets', 'Segmentation', `${split}.txt`), ids.map((s) => `${s}\n`).join(''));
  writeFileSync(join(root, 'done'), '');
}

async function runCase(root: string): Promise<void> {
  await initEngine();
  let peakAllocated = 0;
  let peakRss = 0;
  const sample = () => {
    peakAllocated = Math.max(peakAllocated, memory().bytesAllocated);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 100);
  const t0 = performance.now();
  await runActiveLearning(
    { ...DEFAULT_CONFIG, dataset: 'voc', root, rounds: 3, budget: 120, iterations: 20, stage2Iterations: 20, out: join(root, `run-${Date.now()}`), visualise: 0 },
    { onEvent: sample },
  );
  clearInterval(timer);
  sample();
  console.log(JSON.stringify({ peakAllocatedMiB: peakAllocated / 2 ** 20, peakRssMiB: peakRss / 2 ** 20, seconds: (performance.now() - t0) / 1000 }));
  await destroyEngine();
}

const only = arg('--case');
if (only) {
  await runCase(only);
} else {
  const sizes = new Map<string, (i: number) => [number, number]>([
    ['varied (200-500 px a side)', (i) => [200 + ((i * 97) % 301), 200 + ((i * 61) % 301)]],
    ['fixed (320x240)', () => [320, 240]],
  ]);
  const self = fileURLToPath(import.meta.url);
  console.log(`${images} train images, 3 rounds of the tiny preset, 20 + 20 iterations`);
  for (const [name, size] of sizes) {
    const root = join(base, name.split(' ')[0]);
    writeSet(root, size);
    const out = execFileSync(process.execPath, [self, '--case', root], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { peakAllocatedMiB: number; peakRssMiB: number; seconds: number };
    console.log(`${name.padEnd(28)} pool peak ${r.peakAllocatedMiB.toFixed(0).padStart(5)} MiB   resident peak ${r.peakRssMiB.toFixed(0).padStart(5)} MiB   ${r.seconds.toFixed(0)} s`);
  }
}
