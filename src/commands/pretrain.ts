// `alseg pretrain`: the ImageNet stand-in (src/experiments/pretrain.ts): image-level multi-label pretraining
// of a preset's backbone on a synthetic source set of its own seed; `train --pretrained <file>`
// loads the result. Reuses a file made with the same settings.
import type { CommandModule } from 'yargs';
import { DEFAULT_PRETRAIN, VAL_TILE, defaultPretrainFile, pretrain, type PretrainConfig } from '../experiments/pretrain.js';
import { destroyEngine, initEngine } from '../engine/runtime.js';
import { PRESETS, type PresetName } from '../model/presets.js';
import { formatDuration } from './progress.js';

interface Args {
  preset: string;
  'source-seed': number;
  'source-size': string;
  iterations: number;
  batch: number;
  crop: number;
  lr: number;
  seed: number;
  out?: string;
}

const d = DEFAULT_PRETRAIN;

export function pretrainConfigFrom(a: Args): PretrainConfig {
  const m = /^(\d+)x(\d+)@(\d+)x(\d+)$/.exec(a['source-size']);
  if (!m) throw new Error(`--source-size ${a['source-size']}: expected TRAINxVAL@HEIGHTxWIDTH, e.g. 400x40@128x256`);
  const [train, val, height, width] = m.slice(1).map(Number);
  if (train < 1 || val < 1 || height < 32 || width < 32) throw new Error(`--source-size ${a['source-size']}: needs at least 1 image per split and 32x32 pixels`);
  for (const k of ['iterations', 'batch', 'crop'] as const) {
    if (!(Number.isInteger(a[k]) && a[k] > 0)) throw new Error(`--${k} must be a positive integer, got ${a[k]}`);
  }
  if (a.batch < 2) throw new Error('--batch must be at least 2 (batch norm needs two crops)');
  if (!(a.lr > 0)) throw new Error(`--lr must be a positive number, got ${a.lr}`);
  return { ...d, preset: a.preset as PresetName, source: { seed: a['source-seed'], train, val, height, width }, iterations: a.iterations, batch: a.batch, crop: a.crop, lr: a.lr, seed: a.seed };
}

export const pretrainCommand: CommandModule<object, Args> = {
  command: 'pretrain',
  describe: 'pretrain a backbone with image-level labels on a synthetic source set (the stand-in for ImageNet weights); train --pretrained <file> loads it',
  builder: (y) =>
    y
      .option('preset', { choices: Object.keys(PRESETS), default: d.preset, describe: 'model preset whose backbone is pretrained' })
      .option('source-seed', { type: 'number', default: d.source.seed, describe: 'seed of the source scenes (the active-learning sets use 0)' })
      .option('source-size', { type: 'string', default: `${d.source.train}x${d.source.val}@${d.source.height}x${d.source.width}`, describe: 'source set: TRAINxVAL@HEIGHTxWIDTH' })
      .option('iterations', { type: 'number', default: d.iterations, describe: 'training iterations' })
      .option('batch', { type: 'number', default: d.batch, describe: 'crops per batch' })
      .option('crop', { type: 'number', default: d.crop, describe: 'square crop size' })
      .option('lr', { type: 'number', default: d.lr, describe: 'backbone learning rate (classifier: 10x)' })
      .option('seed', { type: 'number', default: d.seed, describe: 'initialisation and augmentation seed' })
      .option('out', { type: 'string', describe: 'weights file (default: data/pretrained/<preset>-<settings hash>.safetensors)' }) as never,
  handler: async (argv) => {
    const cfg = pretrainConfigFrom(argv);
    const file = argv.out ?? defaultPretrainFile(cfg);
    const engine = await initEngine();
    console.log(`adapter: ${engine.summary.description} (${engine.summary.backend}${engine.summary.isSoftware ? ', software' : ''})`);
    let last = 0;
    try {
      const r = await pretrain(cfg, file, {
        onPhase: (text) => console.log(text),
        onIteration: (it, n, loss, ms) => {
          if (loss === null || (it < n && performance.now() - last < 10_000)) return;
          last = performance.now();
          console.log(`pretrain it ${it}/${n}  loss ${loss.toFixed(4)}  ${(ms / 1000).toFixed(2)} s/it  ETA ${formatDuration(((n - it) * ms) / 1000)}`);
        },
      });
      const how = r.reused ? `reused (made earlier in ${formatDuration(r.seconds)})` : `pretrained in ${formatDuration(r.seconds)} (${cfg.iterations} iterations of ${cfg.batch} x ${cfg.crop} px crops, source generation included)`;
      console.log(`${r.file}: ${how}`);
      console.log(`validation mAP (classes present per ${VAL_TILE} px tile of ${cfg.source.val} images): ${(100 * r.valMap).toFixed(1)}% (untrained: ${(100 * r.valMapUntrained).toFixed(1)}%)`);
      console.log(`use it with: node dist/cli.js train --preset ${cfg.preset} --pretrained ${r.file}`);
    } finally {
      await destroyEngine().catch(() => undefined);
    }
  },
};
