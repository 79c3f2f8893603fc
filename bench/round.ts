// One whole default round, timed by phase: `runActiveLearning` with the defaults of
// `node dist/cli.js train` (tiny, synthetic data, 100 + 100 iterations), run for two rounds in a
// temporary folder so that round 2 is a full round (acquisition on round 1's stage-1 model, stage
// 1, its evaluation, pseudo-labels, stage 2, its evaluation). Each phase lasts from its `phase`
// event to the next event that is not an iteration; data generation and superpixels (round 0) and
// round 1 are reported too. One run (minutes): rows carry single timings, not benny medians.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../src/al/config.js';
import { runActiveLearning } from '../src/run/rounds.js';
import type { BenchContext, BenchRow } from './harness.js';

export async function roundSuite(ctx: BenchContext): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'alseg-bench-round-'));
  const iterations = ctx.quick ? 20 : DEFAULT_CONFIG.iterations;
  const cfg = { ...DEFAULT_CONFIG, root: join(dir, 'data'), out: join(dir, 'run'), rounds: 2, iterations, stage2Iterations: iterations };
  const spans: { round: number; phase: string; ms: number }[] = [];
  let open: { round: number; phase: string; t0: number } | null = null;
  const close = (t: number) => {
    if (!open) return;
    const last = spans.find((s) => s.round === open!.round && s.phase === open!.phase);
    if (last) last.ms += t - open.t0;
    else spans.push({ round: open.round, phase: open.phase, ms: t - open.t0 });
    open = null;
  };
  try {
    await runActiveLearning(cfg, {
      onEvent: (e) => {
        if (e.kind === 'iteration') return;
        const t = performance.now();
        close(t);
        if (e.kind === 'phase' && e.phase !== 'note') open = { round: e.round, phase: e.phase === 'superpixels' ? 'data' : e.phase, t0: t };
      },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rows: BenchRow[] = [];
  for (const round of [0, 1, 2]) {
    const mine = spans.filter((s) => s.round === round);
    const total = mine.reduce((a, s) => a + s.ms, 0);
    const label = round === 0 ? 'data + superpixels' : `round ${round} (${iterations}+${iterations} it)`;
    rows.push({ suite: 'round', name: `${label} total`, ms: total });
    if (round > 0) for (const s of mine) rows.push({ suite: 'round', name: `round ${round}: ${s.phase}`, ms: s.ms, extra: { ofRound: +(s.ms / total).toFixed(3) } });
  }
  return rows;
}
