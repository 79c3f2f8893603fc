// `alseg experiment <grid>`: runs a named grid of train runs and regenerates docs/results.md.
import type { CommandModule } from 'yargs';
import { GRIDS, runGrid, runName } from '../experiments/experiment.js';
import { writeResultsReport } from '../experiments/results-report.js';
import { destroyEngine, initEngine } from '../engine/runtime.js';
import { formatDuration } from './progress.js';

interface Args {
  grid: string;
  shard: string;
  root: string;
  dir: string;
  docs: string;
}

export const experimentCommand: CommandModule<object, Args> = {
  command: 'experiment <grid>',
  describe: `run a grid of train runs (${Object.keys(GRIDS).join(', ')}) and write docs/results.md; "report" only rewrites the report`,
  builder: (y) =>
    y
      .positional('grid', { choices: [...Object.keys(GRIDS), 'report'], describe: 'which grid' })
      .option('shard', { type: 'string', default: '0/1', describe: 'i/n: run only the runs with index = i mod n (split a grid across machines)' })
      .option('root', { type: 'string', default: 'data/synthetic', describe: 'synthetic dataset folder of the small-pool grids (the paper-regime grids use data/synthetic-paper)' })
      .option('dir', { type: 'string', default: 'experiments', describe: 'where run directories go' })
      .option('docs', { type: 'string', default: 'docs', describe: 'where results.md and docs/results-data go' }) as never,
  handler: async (argv) => {
    if (argv.grid !== 'report') {
      const m = /^(\d+)\/(\d+)$/.exec(argv.shard);
      if (!m || Number(m[1]) >= Number(m[2])) throw new Error(`--shard ${argv.shard}: expected i/n with 0 <= i < n`);
      const e = await initEngine();
      const adapter = `${e.summary.description} (${e.summary.backend})`;
      const t0 = performance.now();
      try {
        const ran = await runGrid(argv.grid, {
          shard: [Number(m[1]), Number(m[2])],
          root: argv.root,
          experimentsDir: argv.dir,
          docsDir: argv.docs,
          adapter,
          onRun: (run, k, todo) => {
            const elapsed = (performance.now() - t0) / 1000;
            const eta = k > 0 ? `, ETA ${formatDuration((elapsed / k) * (todo - k))}` : '';
            console.log(`[${argv.grid} ${k + 1}/${todo} to do] ${runName(run)}  (${formatDuration(elapsed)} so far${eta})`);
          },
          onEvent: (_run, ev) => {
            if (ev.kind === 'phase' && ev.phase === 'reused') console.log(`    reused: the same configuration as ${ev.detail}, finished (the engine is deterministic)`);
            if (ev.kind === 'round') console.log(`    round ${ev.metrics.round}: ${ev.metrics.totalClicks} clicks, mIoU stage 1 ${(100 * ev.metrics.stage1.miou).toFixed(1)}, stage 2 ${ev.metrics.stage2 ? (100 * ev.metrics.stage2.miou).toFixed(1) : '-'}`);
          },
        });
        console.log(`${ran} run(s) done in ${formatDuration((performance.now() - t0) / 1000)}`);
      } finally {
        await destroyEngine();
      }
    }
    console.log(`wrote ${writeResultsReport(argv.docs)}`);
  },
};
