// `alseg annotate`: answer a human-oracle run's queries in a browser (annotate/server.ts), or run a
// user study of annotation cost on a labelled dataset (annotate/study.ts, --study).
import type { CommandModule } from 'yargs';
import { startAnnotationServer } from '../annotate/server.js';
import { createStudy } from '../annotate/study.js';
import { ANNOTATOR_PARAM } from '../annotate/study-book.js';
import { DATASET_KINDS, type DatasetKind } from '../data/dataset.js';

interface AnnotateArgs {
  out: string;
  port: number;
  round?: number;
  study?: number;
  dataset?: string;
  root?: string;
  split?: string;
  seed: number;
}

export const annotateCommand: CommandModule<object, AnnotateArgs> = {
  command: 'annotate',
  describe: 'answer the queries of a run started with --oracle human, or run a user study (--study), in a web page on 127.0.0.1',
  builder: (y) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'the run directory (as given to train --out), or the study folder' })
      .option('port', { type: 'number', default: 0, describe: 'port on 127.0.0.1 (0: any free port)' })
      .option('round', { type: 'number', describe: 'round to answer (default: the latest with queries)' })
      .option('study', { type: 'number', describe: 'make a user study in --out: this many regions with each of 1, 2 and 3 classes, from --dataset/--root' })
      .option('dataset', { choices: DATASET_KINDS, describe: 'with --study: the labelled dataset\'s layout' })
      .option('root', { type: 'string', describe: 'with --study: the labelled dataset\'s folder' })
      .option('split', { type: 'string', describe: 'with --study: its split (default: val for a folder, train otherwise)' })
      .option('seed', { type: 'number', default: 0, describe: 'with --study: which regions are drawn' }) as never,
  handler: async (argv) => {
    if (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535) throw new Error(`--port must be 0..65535, got ${argv.port}`);
    if (argv.study !== undefined) {
      if (!argv.dataset || !argv.root) throw new Error('--study needs the labelled dataset: --dataset <layout> --root <folder>');
      if (argv.round !== undefined) throw new Error('--round answers a run\'s round; a study has none');
      const study = await createStudy({ dir: argv.out, perGroup: argv.study, dataset: argv.dataset as DatasetKind, root: argv.root, split: argv.split, seed: argv.seed });
      console.log(`study in ${argv.out}: ${study.regions.length} regions (${study.perGroup} with each of 1, 2, 3 classes) of ${study.dataset.kind} ${study.dataset.root} (${study.dataset.split})`);
    } else if (argv.dataset || argv.root || argv.split) {
      throw new Error('--dataset, --root and --split choose the data of a new study: give them with --study <regions per group>');
    }
    const server = await startAnnotationServer({ dir: argv.out, port: argv.port, round: argv.round });
    if (server.round === null) {
      console.log(`study of ${argv.out}: each annotator opens ${server.url}&${ANNOTATOR_PARAM}=<name> (a name of their own: letters, digits, - and _)`);
      console.log(`answers are saved as you go; stop with Ctrl-C, then: node dist/cli.js report annotation --out ${argv.out}`);
    } else {
      console.log(`answer round ${server.round} of ${argv.out} at ${server.url}`);
      console.log('answers are saved as you go; stop with Ctrl-C, then: node dist/cli.js train --resume --out ' + argv.out);
    }
    const stop = () => void server.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  },
};
