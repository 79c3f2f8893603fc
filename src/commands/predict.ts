// `alseg predict`: colour PNGs of a checkpoint's predictions for given images.
import { basename, extname, join } from 'node:path';
import type { CommandModule } from 'yargs';
import { readRgbPng } from '../data/png.js';
import { labelMap, predictImage } from '../al/inference.js';
import { writeLabelPng } from '../run/report.js';
import { destroyEngine, initEngine } from '../engine/runtime.js';
import { tidy } from '../engine/tensor.js';
import { modelFromCheckpoint } from './model-io.js';

interface Args {
  checkpoint: string;
  images: string[];
  out: string;
}

export const predictCommand: CommandModule<object, Args> = {
  command: 'predict <images..>',
  describe: 'write colour PNGs of the predicted classes of RGB PNG images',
  builder: (y) =>
    y
      .positional('images', { type: 'string', array: true, describe: 'RGB PNG files' })
      .option('checkpoint', { type: 'string', demandOption: true, describe: 'a checkpoint written by alseg train' })
      .option('out', { type: 'string', default: 'predictions', describe: 'output folder' }) as never,
  handler: async (argv) => {
    await initEngine();
    try {
      const { model, dataset } = await modelFromCheckpoint(argv.checkpoint, 'val');
      for (const file of argv.images) {
        const img = readRgbPng(file);
        const pred = await tidy(async () => {
          const { logits } = predictImage(model, { image: img.data, width: img.width, height: img.height });
          return labelMap(logits, dataset.numClasses, img);
        });
        const outFile = join(argv.out, `${basename(file, extname(file))}-pred.png`);
        writeLabelPng(outFile, pred, img.width, img.height, dataset.palette);
        console.log(`${file} -> ${outFile}`);
      }
      model.dispose();
    } finally {
      await destroyEngine();
    }
  },
};
