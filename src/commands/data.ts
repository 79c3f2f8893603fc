// `alseg data check`: every problem of a dataset at once (missing files, corrupt images, size
// mismatches, label ids outside the mapping, empty splits).
import type { CommandModule } from 'yargs';
import { checkDataset } from '../data/check.js';
import { DATASET_KINDS, type DatasetKind } from '../data/dataset.js';

interface CheckArgs {
  dataset: string;
  root: string;
  splits: string;
  json: boolean;
}

const check: CommandModule<object, CheckArgs> = {
  command: 'check',
  describe: 'check a dataset and report all problems at once (exit code 1 when there are any)',
  builder: (y) =>
    y
      .option('dataset', { choices: DATASET_KINDS, default: 'synthetic', describe: 'dataset layout' })
      .option('root', { type: 'string', default: 'data/synthetic', describe: 'dataset folder' })
      .option('splits', { type: 'string', default: 'train,val', describe: 'comma-separated splits' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as never,
  handler: (argv) => {
    const splits = argv.splits.split(',').filter(Boolean);
    const tty = process.stderr.isTTY === true;
    const result = checkDataset(argv.dataset as DatasetKind, argv.root, splits, (p) => {
      if (tty) process.stderr.write(`\rchecking ${p.split}: ${p.done}/${p.total}   `);
    });
    if (tty) process.stderr.write('\n');
    if (argv.json) console.log(JSON.stringify(result, null, 2));
    else {
      for (const [split, n] of Object.entries(result.samples)) console.log(`${split}: ${n} samples`);
      for (const p of result.problems) console.log(`${p.file}: ${p.problem}`);
      console.log(result.problems.length ? `${result.problems.length} problem(s)` : 'no problems found');
    }
    if (result.problems.length) process.exitCode = 1;
  },
};

export const dataCommand: CommandModule = {
  command: 'data <command>',
  describe: 'dataset tools (check)',
  builder: (y) => y.command(check).demandCommand(1),
  handler: () => undefined,
};
