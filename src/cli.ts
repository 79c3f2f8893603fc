#!/usr/bin/env node
// alseg's command line: parse, call into the library, print. Nothing else lives here.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { infoCommand } from './commands/info.js';

await yargs(hideBin(process.argv))
  .scriptName('alseg')
  .usage('$0 <command> [options]\n\nActive learning for semantic segmentation with multi-class label queries, on WebGPU.')
  .command(infoCommand)
  .demandCommand(1, 'name a command (see --help)')
  .strict()
  .help()
  .alias('h', 'help')
  .version()
  .parseAsync();
