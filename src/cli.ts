#!/usr/bin/env node
// alseg's command line: parse, call into the library, print. Nothing else lives here.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { infoCommand } from './commands/info.js';
import { trainCommand } from './commands/train.js';
import { evalCommand } from './commands/eval.js';
import { predictCommand } from './commands/predict.js';
import { superpixelsCommand } from './commands/superpixels.js';
import { dataCommand } from './commands/data.js';
import { experimentCommand } from './commands/experiment.js';
import { annotateCommand } from './commands/annotate.js';
import { exportCommand } from './commands/export.js';
import { reportCommand } from './commands/report.js';
import { pretrainCommand } from './commands/pretrain.js';

await yargs(hideBin(process.argv))
  .scriptName('alseg')
  // An option given twice takes its last value, as in most command lines (not an array).
  .parserConfiguration({ 'duplicate-arguments-array': false })
  .usage('$0 <command> [options]\n\nActive learning for semantic segmentation with multi-class label queries, on WebGPU.')
  .command(trainCommand)
  .command(evalCommand)
  .command(predictCommand)
  .command(superpixelsCommand)
  .command(dataCommand)
  .command(pretrainCommand)
  .command(experimentCommand)
  .command(annotateCommand)
  .command(exportCommand)
  .command(reportCommand)
  .command(infoCommand)
  .demandCommand(1, 'name a command (see --help)')
  .strict()
  .fail((msg, err, y) => {
    // Runtime errors: the message (and for GPU errors the kernel) without a help dump.
    if (err) {
      console.error(`error: ${err.message}`);
      if (process.env.ALSEG_DEBUG) console.error(err.stack);
    } else {
      console.error(`${y.help()}\n\n${msg}`);
    }
    process.exit(1);
  })
  .help()
  .alias('h', 'help')
  .version()
  .parseAsync();
