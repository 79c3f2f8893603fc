// The fully supervised reference the paper's numbers are relative to ("95% of full supervision"):
// the same model and initial weights as the active-learning runs, trained like stage 2 (pixel CE)
// on every pixel label of the whole training split, then evaluated on the validation split. Its run
// directory holds config.json, the checkpoint, training/ (loss curve) and metrics.json like an AL
// run's, with one "round" that spent no clicks; a killed run resumes from its checkpoint.
import { join } from 'node:path';
import type { RunConfig } from '../al/config.js';
import { evaluate } from '../run/evaluation.js';
import { writeMetrics, type RoundMetrics } from '../run/report.js';
import type { LoopEvent, LoopResult } from '../run/rounds.js';
import { openRunDataset, openRunPool } from '../run/run-data.js';
import { openRunDirectory } from '../run/run-directory.js';
import { pixelLabels } from '../al/stage-labels.js';
import { stageTraining } from '../run/stage-log.js';
import { runTrainEnv, trainStage, type TrainEnv } from '../run/trainer.js';

export async function runSupervised(cfg: RunConfig, options: { resume?: boolean; onEvent?: (e: LoopEvent) => void; stopRequested?: () => boolean } = {}): Promise<LoopResult> {
  const emit = options.onEvent ?? (() => undefined);
  const run = await openRunDirectory(cfg, options.resume, emit);
  const train = openRunDataset(cfg, 'train');
  const val = openRunDataset(cfg, 'val');
  // The pool is only the trainer's view of the split (dataset, BN recalibration); nothing is selected.
  const pool = await openRunPool(cfg, train, emit);
  const t0 = performance.now();
  const env: TrainEnv = {
    ...runTrainEnv(cfg, pool, emit),
    stopRequested: options.stopRequested,
    onProgress: (p) => {
      const ms = (performance.now() - t0) / Math.max(p.iteration, 1);
      emit({ kind: 'iteration', progress: p, etaSeconds: ((p.iterations - p.iteration) * ms) / 1000 });
    },
  };
  const images = train.samples.map((_, i) => i);
  emit({ kind: 'phase', round: 1, phase: 'supervised', detail: `${images.length} images, every pixel label` });
  // Ground-truth pixel labels: stage 2's labels without a pseudo-label folder.
  const labels = pixelLabels(cfg, pool);
  const log = run.stageLog(1, 'stage2');
  const model = await trainStage(env, { labels, round: 1, iterations: cfg.stage2Iterations, lr: cfg.lr2, images, checkpoint: join(run.dir, 'checkpoints', 'supervised.safetensors'), log });
  emit({ kind: 'phase', round: 1, phase: 'evaluate' });
  const iou = await evaluate(model, val, cfg, run.vis(), 'supervised');
  model.dispose();
  const scores = { miou: iou.miou, miouAllClasses: iou.miouAllClasses, pixelAccuracy: iou.pixelAccuracy, perClass: iou.perClass };
  const summary = stageTraining(log);
  const m: RoundMetrics = {
    round: 1,
    clicks: 0,
    totalClicks: 0,
    regions: 0,
    multiClassShare: 0,
    // One model: reported as both stages so the report's "final" and "stage 1" columns read it.
    stage1: scores,
    stage2: scores,
    pseudo: null,
    seconds: (performance.now() - t0) / 1000,
    training: summary ? { stage1: null, stage2: summary } : undefined,
  };
  await writeMetrics(run.dir, [m], train.classNames);
  emit({ kind: 'round', metrics: m });
  return { rounds: [m], dir: run.dir, labelled: [] };
}
