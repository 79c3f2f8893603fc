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
  out: string;
  _: (string | number)[];
}

export const predictCommand: CommandModule<object, Args> = {
  // The images are read from the plain arguments, not a variadic positional: with cli.ts's
  // 'duplicate-arguments-array': false, yargs keeps only the last value of a variadic positional
  // (yargs issue #2011), so `predict a.png b.png` predicted b.png alone.
  command: 'predict',
  describe: 'write colour PNGs of the predicted classes of RGB PNG images',
  builder: (y) =>
    y
      .usage('$0 predict --checkpoint <checkpoint> <image.png> [more images]')
      .strict(false)
      .strictOptions()
      .option('checkpoint', { type: 'string', demandOption: true, describe: 'a checkpoint written by alseg train' })
      .option('out', { type: 'string', default: 'predictions', describe: 'output folder' }) as never,
  handler: async (argv) => {
    const images = argv._.slice(1).map(String);
    if (images.length === 0) throw new Error('name at least one RGB PNG image to predict');
    await initEngine();
    try {
      const { model, dataset } = await modelFromCheckpoint(argv.checkpoint, 'val');
      for (const file of images) {
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
