// `alseg export`: a run's labels, pseudo-labels and predictions for other tools (run/export-run.ts).
import type { CommandModule } from 'yargs';
import { LABEL_FORMATS } from '../data/label-layouts.js';
import { destroyEngine, initEngine } from '../engine/runtime.js';
import { planExport } from '../run/export-plan.js';
import { writeExport } from '../run/export-run.js';

interface ExportArgs {
  out: string;
  round?: number;
  format: string;
  to?: string;
  predictions: boolean;
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: "write a round's labels, stage-2 pseudo-labels and predictions as Cityscapes, VOC or COCO files, or plain PNGs",
  builder: (y) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'the run directory (as given to train --out)' })
      .option('round', { type: 'number', describe: 'round to export: its labels and those of earlier rounds (default: the latest with labels)' })
      .option('format', {
        choices: LABEL_FORMATS,
        demandOption: true,
        describe: 'cityscapes: gtFine labelIds and labelTrainIds PNGs; voc: SegmentationClass palette PNGs (255 unlabelled); coco: JSON with RLE masks; png: class indices (255 unlabelled)',
      })
      .option('to', { type: 'string', describe: 'output folder, must not exist (default: <run>/export/round-<r>-<format>)' })
      .option('predictions', { type: 'boolean', default: true, describe: "run the round's stage-2 model on the labelled images (--no-predictions: skip)" }) as never,
  handler: async (argv) => {
    if (argv.round !== undefined && (!Number.isInteger(argv.round) || argv.round < 1)) throw new Error(`--round must be a round number (1, 2, ...), got ${argv.round}`);
    const plan = planExport({ dir: argv.out, round: argv.round, format: argv.format, to: argv.to, predictions: argv.predictions });
    if (plan.checkpoint) await initEngine();
    try {
      const s = await writeExport(plan);
      const kinds = (['labels', 'pseudo', 'predictions'] as const).filter((k) => s.written[k]).map((k) => (k === 'pseudo' ? 'pseudo-labels' : k));
      console.log(`exported round ${plan.round} of ${argv.out} as ${plan.format} to ${s.to}: ${kinds.join(', ')} of ${s.images} images`);
      console.log(`  ${s.singleClassRegions + s.multiClassRegions} labelled regions: ${s.singleClassRegions} of one class (in the label maps), ${s.multiClassRegions} with candidate sets (${plan.format === 'coco' ? 'an annotation per class' : 'labels/candidates.json'})`);
      for (const n of s.notes) console.log(`  ${n}`);
    } finally {
      if (plan.checkpoint) await destroyEngine();
    }
  },
};
