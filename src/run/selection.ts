// One round's selection: score the unlabelled regions (at random in round 1, else by the acquisition
// function on the previous round's stage-1 model), take the best within the click budget, and
// have the oracle answer them. A simulated oracle answers at once; with a person (--oracle human)
// the round's queries are written and the run stops until they are answered.
import { existsSync } from 'node:fs';
import type { DeepLabV3Plus } from '../model/deeplabv3plus.js';
import { ACQUISITION_INPUT, scoreRegions, selectByBudget, type ImageRegionStats, type RegionRef } from '../al/acquisition.js';
import type { RunConfig } from '../al/config.js';
import { answeredRegions, AwaitingAnswersError, expectedClicks, writeRoundQueries } from './human/ask.js';
import { queriesFile } from './human/queries.js';
import { imageRegionStats, type StatsRequest } from '../al/inference.js';
import type { LabelledRegion, Pool } from '../al/pool.js';
import { Rng, hashSeed } from '../data/rng.js';
import type { PhaseEvent } from './run-data.js';
import { writeJson, type RunDirectory } from './run-directory.js';

export interface Selection {
  cfg: RunConfig;
  pool: Pool;
  run: RunDirectory;
  emit: (e: PhaseEvent) => void;
}

/**
 * Selects and labels round `round`'s regions: they join the pool's labelled set and are written to
 * labels/round-<r>.json. `scoringModel` is asked for the model the acquisition function reads
 * (only when it does). With a human oracle, throws AwaitingAnswersError until the round's queries
 * are answered; once written, only their answers count.
 */
export async function selectRound(s: Selection, round: number, scoringModel: () => Promise<DeepLabV3Plus>): Promise<void> {
  const { cfg, pool, run } = s;
  const human = cfg.oracle === 'human';
  let records: LabelledRegion[];
  if (human && existsSync(queriesFile(run.dir, round))) {
    records = answeredRegions(run.dir, round);
    for (const rec of records) pool.restore(rec);
  } else {
    s.emit({ kind: 'phase', round, phase: 'select', detail: round === 1 ? 'random' : cfg.acquisition });
    const candidates = pool.unlabelledRegions();
    const scores = await scoreCandidates(s, round, candidates, scoringModel);
    if (human) {
      const cost = expectedClicks(pool, cfg.labelling);
      const { selected } = selectByBudget(candidates, scores, cfg.budget, () => cost);
      const q = writeRoundQueries(run.dir, round, pool, selected, cfg.labelling);
      throw new AwaitingAnswersError(run.dir, round, 0, q.queries.length);
    }
    const { selected } = selectByBudget(candidates, scores, cfg.budget, (r) => pool.answer(r).clicks);
    records = selected.map((r) => pool.label(r, round));
  }
  writeJson(run.labels(round), records);
}

/** Each candidate's score: seeded random in round 1 (and for random acquisition), else the acquisition function's. */
async function scoreCandidates(s: Selection, round: number, candidates: readonly RegionRef[], scoringModel: () => Promise<DeepLabV3Plus>): Promise<Float64Array> {
  const { cfg, pool } = s;
  if (round === 1 || cfg.acquisition === 'random') {
    const rng = new Rng(hashSeed(cfg.seed, round, 0xac));
    return scoreRegions('random', [], candidates, { nu: cfg.nu, random: () => rng.float() });
  }
  const model = await scoringModel();
  const ds = pool.dataset;
  const request = statsRequest(cfg, round);
  const stats: ImageRegionStats[] = [];
  for (const img of pool.images) stats.push(await imageRegionStats(model, ds.load(ds.samples[img.index]), img.pixels, cfg.tau, request));
  const undefinedClass = ds.hasUndefinedClass ? ds.numClasses : undefined;
  return scoreRegions(cfg.acquisition, stats, candidates, {
    nu: cfg.nu,
    undefinedClass,
    over: cfg.reading === 'code' ? 'pool' : 'candidates',
    labelled: pool.labelledRegions.map(({ image, region }) => ({ image, region })),
    k: cfg.knnK,
  });
}

/**
 * What the acquisition reads besides the deterministic statistics. BALD's dropout masks come from
 * a stream of their own, seeded by the run's seed and the round, so a resumed selection draws the
 * same masks and the model's training stream is untouched.
 */
function statsRequest(cfg: RunConfig, round: number): StatsRequest {
  switch (ACQUISITION_INPUT[cfg.acquisition]) {
    case 'stats':
      return {};
    case 'uncertainty':
      return { uncertainty: { passes: 1 } };
    case 'mc-dropout':
      return { uncertainty: { passes: cfg.baldPasses, mcDropout: { seed: hashSeed(cfg.seed, round, 0xba1d), position: 0 } } };
    case 'features':
      return { features: true };
  }
}
