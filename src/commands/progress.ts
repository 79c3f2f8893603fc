// Progress lines for long commands: phases, iterations with loss and ETA, and round results.
import type { LoopEvent } from '../run/rounds.js';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The loss read back and, when it is not this iteration's, the iteration it belongs to. */
export function lossText(loss: number | null, lossIteration: number | null, iteration: number): string {
  if (loss === null || lossIteration === null) return 'loss -';
  return lossIteration === iteration ? `loss ${loss.toFixed(4)}` : `loss ${loss.toFixed(4)} (it ${lossIteration})`;
}

/** Iterations seen before a run's length is judged, and the length worth a warning. */
const JUDGE_AFTER = 5;
const LONG_RUN_SECONDS = 3600;

/**
 * Prints events; on a terminal the iteration line is rewritten in place. When the first iterations
 * show the run will take over an hour, says so once, with `shorten` (the options that cut it).
 */
export function progressPrinter(rounds: number, shorten?: string): (e: LoopEvent) => void {
  const tty = process.stdout.isTTY === true;
  let lastPrinted = 0;
  let seen = 0;
  let warned = false;
  let open = false;
  const line = (text: string) => {
    if (open && tty) process.stdout.write('\n');
    open = false;
    console.log(text);
  };
  return (e) => {
    if (e.kind === 'phase') {
      // Per-file progress: rewritten in place on a terminal, left out of logs.
      if ((e.phase === 'superpixels' || e.phase === 'data check') && tty) {
        process.stdout.write(`\r${e.phase} ${e.detail}   `);
        open = true;
        return;
      }
      if (e.phase === 'superpixels' || e.phase === 'data check') return;
      line(e.round > 0 ? `[round ${e.round}/${rounds}] ${e.phase}${e.detail ? ` (${e.detail})` : ''}` : `${e.phase}${e.detail ? `: ${e.detail}` : ''}`);
    } else if (e.kind === 'iteration') {
      const p = e.progress;
      if (++seen === JUDGE_AFTER && !warned && e.etaSeconds > LONG_RUN_SECONDS) {
        warned = true;
        line(`note: at ${(p.msPerIteration / 1000).toFixed(2)} s per iteration this run needs about ${formatDuration(e.etaSeconds)} more${shorten ? `; to shorten it: ${shorten}` : ''}`);
      }
      const text = `[round ${p.round}/${rounds}] ${p.stage === 'stage1' ? 'stage 1' : 'stage 2'} it ${p.iteration}/${p.iterations}  ${lossText(p.loss, p.lossIteration, p.iteration)}  ${(p.msPerIteration / 1000).toFixed(2)} s/it  loader wait ${(100 * p.loaderWait).toFixed(0)}%  unlabelled batches ${(100 * p.emptyBatchShare).toFixed(0)}%  ETA ${formatDuration(e.etaSeconds)}`;
      if (tty) {
        process.stdout.write(`\r${text}   `);
        open = true;
      } else if (p.iteration === p.iterations || performance.now() - lastPrinted > 10_000) {
        console.log(text);
        lastPrinted = performance.now();
      }
    } else {
      const m = e.metrics;
      // NaN: not measured (no validation split, or no ground truth to check pseudo-labels against).
      const pct = (v: number | undefined, digits = 2) => (v === undefined || Number.isNaN(v) ? '-' : `${(100 * v).toFixed(digits)}%`);
      line(`[round ${m.round}/${rounds}] done: ${m.clicks} clicks (${m.totalClicks} total, ${m.regions} regions, ${(100 * m.multiClassShare).toFixed(0)}% multi-class)  mIoU stage 1 ${pct(m.stage1.miou)}  stage 2 ${pct(m.stage2?.miou)}${m.pseudo ? `  pseudo-labels: ${(100 * m.pseudo.coverage).toFixed(0)}% of pixels, ${pct(m.pseudo.accuracy, 1)} right` : ''}${m.training?.stage1 ? `  batches without a label: stage 1 ${pct(m.training.stage1.emptyBatchShare)}${m.training.stage2 ? `, stage 2 ${pct(m.training.stage2.emptyBatchShare)}` : ''}` : ''}`);
    }
  };
}
