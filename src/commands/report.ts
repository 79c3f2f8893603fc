// `alseg report annotation`: the annotation cost table of a user study or a human-oracle run
// (annotate/cost-report.ts). `experiment report` is the grids' report, not this.
import type { CommandModule } from 'yargs';
import { annotationReport, writeAnnotationReport } from '../annotate/cost-report.js';

interface AnnotationArgs {
  out: string;
  truth?: string;
}

const annotation: CommandModule<object, AnnotationArgs> = {
  command: 'annotation',
  describe: 'time per query, clicks, time per click and accuracy per labelling form and number of classes (the paper\'s Table 3)',
  builder: (y) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'a study folder (annotate --study) or a run directory of train --oracle human' })
      .option('truth', { type: 'string', describe: "a run's ground truth: for a folder run, <dir>/<image>.png class indices; else a dataset of the run's layout holding its train images" }) as never,
  handler: async (argv) => {
    const r = await annotationReport(argv.out, argv.truth);
    writeAnnotationReport(r);
    for (const line of r.text) console.log(line);
    console.log(`wrote ${r.files.csv} and ${r.files.png}`);
  },
};

export const reportCommand: CommandModule = {
  command: 'report <what>',
  describe: 'reports of annotation: report annotation --out <study or run>',
  builder: (y) => y.command(annotation).demandCommand(1, 'name a report: annotation'),
  handler: () => undefined,
};
