// `alseg annotate`: answer a human-oracle run's queries in a browser (annotate/server.ts).
import type { CommandModule } from 'yargs';
import { startAnnotationServer } from '../annotate/server.js';

interface AnnotateArgs {
  out: string;
  port: number;
  round?: number;
}

export const annotateCommand: CommandModule<object, AnnotateArgs> = {
  command: 'annotate',
  describe: 'answer the queries of a run started with --oracle human, in a web page on 127.0.0.1',
  builder: (y) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'the run directory (as given to train --out)' })
      .option('port', { type: 'number', default: 0, describe: 'port on 127.0.0.1 (0: any free port)' })
      .option('round', { type: 'number', describe: 'round to answer (default: the latest with queries)' }) as never,
  handler: async (argv) => {
    if (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535) throw new Error(`--port must be 0..65535, got ${argv.port}`);
    const server = await startAnnotationServer({ dir: argv.out, port: argv.port, round: argv.round });
    console.log(`answer round ${server.round} of ${argv.out} at ${server.url}`);
    console.log('answers are saved as you go; stop with Ctrl-C, then: node dist/cli.js train --resume --out ' + argv.out);
    const stop = () => void server.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  },
};
