// The progress printer's one warning before a long run: after the first five iterations, when the
// estimate of the time left is over an hour, once, with the options that shorten the run.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { progressPrinter } from '../../src/commands/progress.js';
import { shorteningOptions } from '../../src/commands/train.js';
import { DEFAULT_CONFIG } from '../../src/al/config.js';
import type { LoopEvent } from '../../src/run/rounds.js';

const iteration = (i: number, etaSeconds: number): LoopEvent => ({
  kind: 'iteration',
  etaSeconds,
  progress: { stage: 'stage1', round: 1, iteration: i, iterations: 100, loss: 1, lossIteration: i, msPerIteration: 5100, loaderWait: 0, emptyBatchShare: 0 },
});

describe('progress lines', () => {
  afterEach(() => vi.restoreAllMocks());

  it('say once, after five iterations, that a run will take over an hour, and how to shorten it', () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    const print = progressPrinter(5, shorteningOptions({ ...DEFAULT_CONFIG, crop: 768, preset: 'r50' }));
    for (let i = 1; i <= 12; i++) print(iteration(i, 7830));
    const notes = lines.filter((l) => l.startsWith('note:'));
    expect(notes).toEqual([
      'note: at 5.10 s per iteration this run needs about 2h10m more; to shorten it: --crop (now 768: time grows with its square), --iterations / --stage2-iterations (now 100 / 100), --rounds (now 5), --preset tiny (now r50), --batch (now 4)',
    ]);
  });

  it('say nothing for a run under an hour', () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    const print = progressPrinter(5, shorteningOptions(DEFAULT_CONFIG));
    for (let i = 1; i <= 12; i++) print(iteration(i, 3599));
    expect(lines.filter((l) => l.startsWith('note:'))).toEqual([]);
  });
});
