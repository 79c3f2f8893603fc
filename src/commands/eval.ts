// `alseg eval`: mIoU of a checkpoint on a split.
import type { CommandModule } from 'yargs';
import { evaluate } from '../run/evaluation.js';
import { destroyEngine, initEngine } from '../engine/runtime.js';
import { modelFromCheckpoint } from './model-io.js';

interface Args {
  checkpoint: string;
  split: string;
  root?: string;
  limit: number;
  json: boolean;
}

export const evalCommand: CommandModule<object, Args> = {
  command: 'eval',
  describe: 'evaluate a checkpoint (mIoU, per-class IoU, pixel accuracy) on a split',
  builder: (y) =>
    y
      .option('checkpoint', { type: 'string', demandOption: true, describe: 'a checkpoint written by alseg train (runs/<run>/checkpoints/*.safetensors)' })
      .option('split', { type: 'string', default: 'val', describe: 'split to evaluate' })
      .option('root', { type: 'string', describe: "dataset folder (default: the run's)" })
      .option('limit', { type: 'number', default: 0, describe: 'at most this many images (0 = all)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as never,
  handler: async (argv) => {
    await initEngine();
    try {
      const { model, dataset } = await modelFromCheckpoint(argv.checkpoint, argv.split, argv.root);
      const r = await evaluate(model, dataset, { valLimit: argv.limit, visualise: 0 }, null, 'eval');
      if (argv.json) console.log(JSON.stringify(r, null, 2));
      else {
        console.log(`mIoU ${(100 * r.miou).toFixed(2)}%  (all-classes convention ${(100 * r.miouAllClasses).toFixed(2)}%)  pixel accuracy ${(100 * r.pixelAccuracy).toFixed(2)}%`);
        r.perClass.forEach((v, c) => console.log(`  ${dataset.classNames[c].padEnd(16)} ${Number.isNaN(v) ? '  absent' : `${(100 * v).toFixed(2)}%`.padStart(8)}`));
      }
      model.dispose();
    } finally {
      await destroyEngine();
    }
  },
};
