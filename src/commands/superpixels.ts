// `alseg superpixels`: precompute and cache region maps for a split (progress bar), and optionally
// measure their quality against the ground truth next to a plain grid.
import type { CommandModule } from 'yargs';
import { DATASET_KINDS, type DatasetKind } from '../data/dataset.js';
import { openDataset } from '../data/open-dataset.js';
import { DEFAULT_SYNTHETIC, ensureSyntheticDataset } from '../data/synthetic.js';
import { buildSuperpixelCache, defaultSuperpixelCacheDir } from '../superpixels/cache.js';
import { SUPERPIXEL_ALGORITHMS, type SuperpixelAlgorithm } from '../superpixels/compute.js';
import { evaluateSuperpixels } from '../superpixels/evaluate.js';
import { formatDuration } from './progress.js';

interface Args {
  dataset: string;
  root: string;
  split: string;
  algorithm: string;
  evaluate: boolean;
  limit: number;
}

export const superpixelsCommand: CommandModule<object, Args> = {
  command: 'superpixels',
  describe: 'precompute and cache superpixels of a split; --evaluate also measures boundary recall and undersegmentation error',
  builder: (y) =>
    y
      .option('dataset', { choices: DATASET_KINDS, default: 'synthetic', describe: 'dataset layout' })
      .option('root', { type: 'string', default: 'data/synthetic', describe: 'dataset folder (synthetic: generated when missing)' })
      .option('split', { type: 'string', default: 'train', describe: 'split' })
      .option('algorithm', { choices: SUPERPIXEL_ALGORITHMS, default: 'seeds', describe: 'superpixel algorithm (~32x32 px regions)' })
      .option('evaluate', { type: 'boolean', default: false, describe: 'measure quality of SEEDS, SLIC and a 32x32 grid on the split' })
      .option('limit', { type: 'number', default: 0, describe: 'with --evaluate: at most this many images (0 = all)' }) as never,
  handler: async (argv) => {
    const kind = argv.dataset as DatasetKind;
    if (kind === 'synthetic') ensureSyntheticDataset(argv.root, DEFAULT_SYNTHETIC);
    const ds = openDataset(kind, argv.root, argv.split);
    const spec = { algorithm: argv.algorithm as SuperpixelAlgorithm };
    const dir = defaultSuperpixelCacheDir(ds, spec);
    const t0 = performance.now();
    const summary = await buildSuperpixelCache(ds, spec, dir, (p) => {
      const eta = ((performance.now() - t0) / 1000 / p.done) * (p.total - p.done);
      const bar = '#'.repeat(Math.round((30 * p.done) / p.total)).padEnd(30, '.');
      process.stdout.write(`\r[${bar}] ${p.done}/${p.total}  ETA ${formatDuration(eta)}   `);
    });
    process.stdout.write('\n');
    console.log(`${summary.cacheDir}: ${summary.total} maps (${summary.computed} computed, ${summary.reused} reused), ${summary.meanRegions.toFixed(1)} regions per image, ${summary.seconds.toFixed(1)} s`);
    if (argv.evaluate) {
      const limit = argv.limit > 0 ? argv.limit : Infinity;
      console.log('\nalgorithm  boundary recall (2 px)  undersegmentation error  ASA     regions  ms/image');
      for (const algorithm of SUPERPIXEL_ALGORITHMS) {
        const q = evaluateSuperpixels(ds, { algorithm }, 2, limit);
        console.log(`${algorithm.padEnd(9)}  ${q.boundaryRecall.toFixed(3).padStart(22)}  ${q.undersegmentationError.toFixed(3).padStart(23)}  ${q.achievableSegmentationAccuracy.toFixed(3)}  ${q.meanRegions.toFixed(1).padStart(7)}  ${q.msPerImage.toFixed(0).padStart(8)}`);
      }
    }
  },
};
