// `alseg train`: the whole method from one command (defaults: embedded synthetic data, tiny preset).
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { ACQUISITIONS, type Acquisition } from '../al/acquisition.js';
import { DATASET_TRAINING, DEFAULT_CONFIG, type Labelling, type OracleKind, type RunConfig } from '../al/config.js';
import { STAGE1_LOSSES, type Stage1Loss } from '../al/region-batch.js';
import { LARGEST_DEFAULT_CROP, PAPER_BATCH, PAPER_REGION_SIZE, regionSizeReason, trainingDefaults, type TrainingDefaults } from '../al/training-defaults.js';
import { splitImageSize, type ImageSize } from '../data/image-size.js';
import { openDataset } from '../data/open-dataset.js';
import { AwaitingAnswersError } from '../run/human/ask.js';
import { DATASET_KINDS, type DatasetKind } from '../data/dataset.js';
import { runActiveLearning, type LoopEvent } from '../run/rounds.js';
import { SUPERPIXEL_ALGORITHMS, type SuperpixelAlgorithm } from '../superpixels/compute.js';
import type { StageName } from '../al/stage-labels.js';
import { HaltError, StoppedError } from '../run/trainer.js';
import { destroyEngine, initEngine } from '../engine/runtime.js';
import { PRESETS, type PresetName } from '../model/presets.js';
import { formatDuration, progressPrinter } from './progress.js';

const d = DEFAULT_CONFIG;

export function trainOptions<T>(y: Argv<T>) {
  return y
    .option('dataset', { choices: DATASET_KINDS, default: d.dataset, describe: 'dataset layout; "synthetic" is generated on first use' })
    .option('root', { type: 'string', default: d.root, describe: 'dataset folder' })
    .option('synthetic-size', { type: 'string', default: `${d.synthetic.train}x${d.synthetic.val}@${d.synthetic.height}x${d.synthetic.width}`, describe: 'generated synthetic set: TRAINxVAL@HEIGHTxWIDTH' })
    .option('preset', { choices: Object.keys(PRESETS), default: d.preset, describe: 'model preset (tiny: CPU-friendly ResNet-18 at 1/8 width)' })
    .option('labelling', { choices: ['multi', 'dominant'], default: d.labelling, describe: 'oracle answers: all classes of a region (multi) or its dominant class' })
    .option('dominant-mode', { choices: ['majority', 'sampled'], default: d.dominant, describe: 'dominant labelling: majority class, or drawn in proportion to pixel counts' })
    .option('acquisition', { choices: ACQUISITIONS, default: d.acquisition, describe: 'acquisition function from round 2 on (round 1 is random); margin, entropy, bald and knn: docs/method-readings.md' })
    .option('bald-passes', { type: 'number', default: d.baldPasses, describe: 'bald: Monte-Carlo dropout forwards per pool image (T >= 2), each a whole-pool pass' })
    .option('knn-k', { type: 'number', default: d.knnK, describe: 'knn: nearest labelled regions a region\'s feature distance averages over' })
    .option('oracle', { choices: ['simulated', 'human'], default: d.oracle, describe: 'who answers the queries: the ground truth (simulated) or you, in `alseg annotate` (human: the run stops after each selection)' })
    .option('rounds', { type: 'number', default: d.rounds, describe: 'active-learning rounds' })
    .option('budget', { type: 'number', default: d.budget, describe: 'clicks per round (a multi-class answer costs one click per class)' })
    .option('iterations', { type: 'number', default: d.iterations, describe: 'stage-1 training iterations per round' })
    .option('stage2-iterations', { type: 'number', default: d.stage2Iterations, describe: 'stage-2 training iterations per round' })
    .option('lr', { type: 'number', default: d.lr, describe: 'stage-1 backbone learning rate (head: 10x)' })
    .option('lr2', { type: 'number', default: d.lr2, describe: 'stage-2 backbone learning rate (head: 10x)' })
    .option('weight-decay', { type: 'number', default: d.weightDecay, describe: 'AdamW decoupled weight decay' })
    .option('batch', { type: 'number', describe: `crops per batch (default: ${PAPER_BATCH}, the paper's)` })
    .option('crop', { type: 'number', describe: `square crop size in pixels (default: from the training images' size, read first: 3/4 of the image height for street scenes (Cityscapes: 768 of 1024), the whole image for VOC and folders of photos (513 for VOC's ~500 px), at most ${LARGEST_DEFAULT_CROP}; train prints the choice)` })
    .option('nu', { type: 'number', default: d.nu, describe: 'PixBal class-balance strength (Eq. 4; 6 Cityscapes, 12 VOC)' })
    .option('tau', { type: 'number', default: d.tau, describe: 'temperature of the cosine classifier' })
    .option('lambda-ce', { type: 'number', default: d.weights.ce, describe: 'weight of the CE term (Eq. 10)' })
    .option('lambda-mp', { type: 'number', default: d.weights.mp, describe: 'weight of the merged positive term (Eq. 10)' })
    .option('lambda-pp', { type: 'number', default: d.weights.pp, describe: 'weight of the prototypical pixel term (Eq. 10)' })
    .option('stage1-loss', { choices: STAGE1_LOSSES, default: d.stage1Loss, describe: "stage 1's loss on multi-class regions: the method's merged positive + prototypical pixel terms (mp-pp), or a partial-label baseline in their place, weighted by --lambda-mp (infimum: -log of the largest candidate probability; rc: cross-entropy on the candidates weighted by the model's own normalised confidences; Fig. 12(a))" })
    .option('reading', { choices: ['code', 'text'], default: d.reading, describe: "where the authors' code and the paper's text differ: follow the code (default) or the text" })
    // Booleans that default to on: yargs reads --no-<name> as <name> = false.
    .option('mp', { type: 'boolean', default: true, describe: 'merged positive loss (Eq. 7); --no-mp is the ablation' })
    .option('pp', { type: 'boolean', default: true, describe: 'prototypical pixel loss (Eq. 9); --no-pp is the ablation' })
    .option('localise', { type: 'boolean', default: true, describe: 'intra-region localisation (Eq. 11); --no-localise takes the most confident class of the label set' })
    .option('expand', { type: 'boolean', default: true, describe: 'label expansion to adjacent regions (Eq. 13); --no-expand is the ablation' })
    .option('bn-recalibration', { type: 'boolean', default: d.bnRecalibration, describe: 'after each stage, re-estimate BN statistics on whole training images (--no-bn-recalibration: the reference\'s running averages)' })
    .option('stage2', { type: 'boolean', default: true, describe: 'stage 2 (pseudo-labels and retraining); --no-stage2 skips it' })
    .option('superpixels', { choices: SUPERPIXEL_ALGORITHMS, default: d.superpixels.algorithm, describe: 'superpixel algorithm' })
    .option('superpixel-size', { type: 'number', describe: `superpixel side in pixels (default: ${PAPER_REGION_SIZE}, the paper's ~32x32 px regions, 2048 per 1024x2048 Cityscapes image)` })
    .option('pretrained', { type: 'string', describe: 'ImageNet ResNet weights (safetensors, torchvision names; see docs/weights.md)' })
    .option('seed', { type: 'number', default: d.seed, describe: 'seed of everything random (init, selection, augmentation, dropout)' })
    .option('out', { type: 'string', describe: 'run directory (default: a new runs/<date>-<time>)' })
    .option('resume', { type: 'boolean', default: false, describe: 'continue the run in --out where it stopped' })
    .option('checkpoint-every', { type: 'number', default: d.checkpointEvery, describe: 'checkpoint every N iterations' })
    .option('val-limit', { type: 'number', default: d.valLimit, describe: 'validation images per evaluation (0 = all)' })
    .option('visualise', { type: 'number', default: d.visualise, describe: 'images whose predictions and pseudo-labels are saved as PNGs' })
    .option('sampler', { choices: ['labelled', 'random'], default: d.sampler, describe: 'training crops: redraw a crop with no labelled pixel around one (labelled), or plain random crops (random, the authors\' sampler)' })
    .option('pseudo', { choices: ['model', 'oracle'], default: 'model', describe: "stage 2's pseudo-labels: the method's (model), or the upper bound's ground truth inside labelled regions (oracle)" })
    .option('halt-at', { type: 'string', hidden: true, describe: 'simulate a kill at round:stage1|stage2:iteration (tests)' });
}

type TrainArgs = ReturnType<typeof trainOptions<object>> extends Argv<infer A> ? A : never;

/**
 * The run's settings from the options. Crop and batch not given come from the training images'
 * size (al/training-defaults.ts); `notes` receives what was chosen and why.
 */
export function configFrom(a: TrainArgs, notes: string[] = []): RunConfig {
  if (a.resume && !a.out) throw new Error('--resume needs --out <the run directory to continue>');
  const positive = (name: string, v: number, integer = true) => {
    if (!(v > 0) || (integer && !Number.isInteger(v))) throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
    return v;
  };
  const stage1Loss = a['stage1-loss'] as Stage1Loss;
  if (stage1Loss !== 'mp-pp' && !(a.mp && a.pp)) {
    throw new Error(`--stage1-loss ${stage1Loss} replaces the merged positive and prototypical pixel terms, so --no-mp and --no-pp (their ablations) do not apply; drop them, or use --stage1-loss mp-pp`);
  }
  const atLeastTwo = (name: string, v: number) => {
    if (!(Number.isInteger(v) && v >= 2)) throw new Error(`--${name} must be an integer >= 2 (one pass has no mutual information to measure), got ${v}`);
    return v;
  };
  const synthetic = parseSynthetic(a['synthetic-size']);
  const data = dataDefaults(a.dataset as DatasetKind, a.root, synthetic);
  const chosen = data.defaults.reasons.filter((r) => (r.startsWith('crop') && a.crop === undefined) || (r.startsWith('batch') && a.batch === undefined));
  if (data.size && a['superpixel-size'] === undefined) chosen.push(regionSizeReason(data.size, PAPER_REGION_SIZE, false));
  if (chosen.length) notes.push(`defaults from the data (${data.source}):`, ...chosen.map((r) => `  ${r}`));
  return {
    dataset: a.dataset as DatasetKind,
    root: a.root,
    synthetic,
    preset: a.preset as PresetName,
    labelling: a.labelling as Labelling,
    dominant: a['dominant-mode'] as 'majority' | 'sampled',
    acquisition: a.acquisition as Acquisition,
    baldPasses: atLeastTwo('bald-passes', a['bald-passes']),
    knnK: positive('knn-k', a['knn-k']),
    oracle: a.oracle as OracleKind,
    rounds: positive('rounds', a.rounds),
    budget: positive('budget', a.budget),
    iterations: positive('iterations', a.iterations),
    stage2Iterations: positive('stage2-iterations', a['stage2-iterations']),
    lr: positive('lr', a.lr, false),
    lr2: positive('lr2', a.lr2, false),
    weightDecay: a['weight-decay'],
    batch: positive('batch', a.batch ?? data.defaults.batch),
    crop: positive('crop', a.crop ?? data.defaults.crop),
    nu: a.nu,
    tau: positive('tau', a.tau, false),
    weights: { ce: a['lambda-ce'], mp: a['lambda-mp'], pp: a['lambda-pp'] },
    stage1Loss,
    reading: a.reading as 'code' | 'text',
    ablation: { mp: a.mp, pp: a.pp, localise: a.localise, expand: a.expand },
    bnRecalibration: a['bn-recalibration'],
    stage2: a.stage2,
    superpixels: superpixelSpec(a.superpixels as SuperpixelAlgorithm, a['superpixel-size'] === undefined ? undefined : positive('superpixel-size', a['superpixel-size'])),
    seed: a.seed,
    out: a.out ?? join('runs', new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)),
    checkpointEvery: positive('checkpoint-every', a['checkpoint-every']),
    valLimit: a['val-limit'],
    visualise: a.visualise,
    pretrained: a.pretrained,
    sampler: a.sampler as 'labelled' | 'random',
    ...(a.pseudo === 'oracle' ? { pseudo: 'oracle' as const } : {}),
  };
}

/** The options that cut a run's time, with their values now. */
export function shorteningOptions(cfg: RunConfig): string {
  const parts = [`--crop (now ${cfg.crop}: time grows with its square)`, `--iterations / --stage2-iterations (now ${cfg.iterations} / ${cfg.stage2Iterations})`, `--rounds (now ${cfg.rounds})`];
  if (cfg.preset !== 'tiny') parts.push(`--preset tiny (now ${cfg.preset})`);
  if (cfg.batch > 2) parts.push(`--batch (now ${cfg.batch})`);
  return parts.join(', ');
}

/** A superpixel spec, with the region side where one is given (else the algorithm's 32 px default). */
function superpixelSpec(algorithm: SuperpixelAlgorithm, size: number | undefined): RunConfig['superpixels'] {
  if (size === undefined) return { algorithm };
  return algorithm === 'grid' ? { algorithm, params: { cell: size } } : { algorithm, params: { regionSize: size } };
}

/**
 * The training images' typical size (from the settings for the synthetic set, else from up to 9
 * image headers of the train split) and the defaults it gives; where the images cannot be read
 * (the data check will name the problem), the paper's per-dataset settings.
 */
function dataDefaults(kind: DatasetKind, root: string, synthetic: RunConfig['synthetic']): { defaults: TrainingDefaults; source: string; size: ImageSize | null } {
  if (kind === 'synthetic') {
    const size = { width: synthetic.width, height: synthetic.height };
    return { defaults: trainingDefaults(kind, size), source: `generated ${size.width}x${size.height} images`, size };
  }
  try {
    const s = splitImageSize(openDataset(kind, root, 'train'));
    const range = s.min.width === s.max.width && s.min.height === s.max.height ? `${s.width}x${s.height} images` : `images of ${s.min.width}-${s.max.width} x ${s.min.height}-${s.max.height} px, median ${s.width}x${s.height}`;
    return { defaults: trainingDefaults(kind, s), source: `${range}, ${s.read} read`, size: s };
  } catch (e) {
    const paper = DATASET_TRAINING[kind];
    return { defaults: { ...paper, reasons: [`crop ${paper.crop} px: the paper's for ${kind}`, `batch ${paper.batch}: the paper's`] }, source: `the training images of ${root} could not be read (${(e as Error).message}), so the paper's settings for ${kind}`, size: null };
  }
}

function parseSynthetic(s: string): RunConfig['synthetic'] {
  const m = /^(\d+)x(\d+)@(\d+)x(\d+)$/.exec(s);
  if (!m) throw new Error(`--synthetic-size ${s}: expected TRAINxVAL@HEIGHTxWIDTH, e.g. 24x8@128x256`);
  const [train, val, height, width] = m.slice(1).map(Number);
  if (train < 1 || val < 1 || height < 32 || width < 32) throw new Error(`--synthetic-size ${s}: needs at least 1 image per split and 32x32 pixels`);
  return { train, val, height, width };
}

function parseHalt(s: string | undefined): { round: number; stage: StageName; iteration: number } | undefined {
  if (!s) return undefined;
  const [r, st, it] = s.split(':');
  if (st !== 'stage1' && st !== 'stage2') throw new Error(`--halt-at ${s}: expected round:stage1|stage2:iteration`);
  return { round: Number(r), stage: st, iteration: Number(it) };
}

export function printSummary(rounds: { round: number; totalClicks: number; clicks: number; stage1: { miou: number }; stage2: { miou: number } | null }[]): void {
  const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '   -  ' : (100 * v).toFixed(2).padStart(6));
  console.log('\nround  clicks  total clicks  stage-1 mIoU  stage-2 mIoU');
  for (const r of rounds) {
    console.log(`${String(r.round).padStart(5)}  ${String(r.clicks).padStart(6)}  ${String(r.totalClicks).padStart(12)}  ${pct(r.stage1.miou).padStart(12)}  ${pct(r.stage2?.miou).padStart(12)}`);
  }
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'run the active-learning method: rounds of selection, labelling, stage-1 and stage-2 training, evaluation',
  builder: (y) => trainOptions(y),
  handler: async (argv) => {
    const notes: string[] = [];
    const cfg = configFrom(argv, notes);
    const started = performance.now();
    const engine = await initEngine();
    console.log(`adapter: ${engine.summary.description} (${engine.summary.backend}${engine.summary.isSoftware ? ', software' : ''})`);
    console.log(`run: ${cfg.out}  dataset: ${cfg.dataset} (${cfg.root})  preset: ${cfg.preset}  ${cfg.labelling}-class labels, ${cfg.acquisition}, ${cfg.rounds} rounds x ${cfg.budget} clicks${cfg.stage1Loss === 'mp-pp' ? '' : `, stage-1 loss ${cfg.stage1Loss} (CE + ${cfg.stage1Loss}, no PP)`}`);
    for (const line of notes) console.log(line);
    const printer = progressPrinter(cfg.rounds, shorteningOptions(cfg));
    // Ctrl-C / kill: finish the iteration in progress, checkpoint it, then stop.
    let stop = false;
    const onSignal = () => {
      if (stop) process.exit(130);
      stop = true;
      console.error('\nstopping after this iteration (send again to quit at once)...');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const result = await runActiveLearning(cfg, { resume: argv.resume, halt: parseHalt(argv['halt-at']), stopRequested: () => stop, onEvent: (e: LoopEvent) => printer(e) });
      printSummary(result.rounds);
      console.log(`\nwrote ${result.dir}/metrics.csv, metrics.json, miou-vs-clicks.png (and .svg, .vl.json, .csv) and vis/ in ${formatDuration((performance.now() - started) / 1000)}`);
    } catch (e) {
      if (e instanceof AwaitingAnswersError) {
        // Not a failure: the run waits for a person; it exits 0 with what to do next.
        console.log(`\n${e.message}.`);
        console.log(`Answer them in your browser with:  node dist/cli.js annotate --out ${cfg.out}`);
        console.log(`then continue with:                node dist/cli.js train --resume --out ${cfg.out} (and the same options)`);
        return;
      }
      if (e instanceof StoppedError) {
        console.error(`\n${e.message}. Continue with: node dist/cli.js train --resume --out ${cfg.out} (and the same options)`);
        await destroyEngine().catch(() => undefined);
        process.exit(130);
      }
      if (e instanceof HaltError) {
        console.error(`\n${e.message}`);
        await destroyEngine().catch(() => undefined);
        process.exit(137);
      }
      throw e;
    } finally {
      await destroyEngine().catch(() => undefined);
    }
  },
};
