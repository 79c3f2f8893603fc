// Everything a run of the method depends on, with the defaults `node dist/cli.js train` uses: the
// embedded synthetic dataset and the `tiny` preset, sized to finish on a software adapter.
import type { DatasetKind } from '../data/dataset.js';
import type { PresetName } from '../model/presets.js';
import { DEFAULT_BALD_PASSES, DEFAULT_KNN_K, type Acquisition } from './acquisition.js';
import { DEFAULT_LOSS_WEIGHTS, type LossReading, type LossWeights, type Stage1Loss } from './region-batch.js';
import type { SuperpixelSpec } from '../superpixels/compute.js';

export type Labelling = 'multi' | 'dominant';

/** Who answers the queries: the ground truth (simulated) or a person through `alseg annotate`. */
export type OracleKind = 'simulated' | 'human';

export interface Ablation {
  /** Merged positive loss (Eq. 7). Off: multi-class regions train only through PP. */
  mp: boolean;
  /** Prototypical pixel loss (Eq. 9). */
  pp: boolean;
  /** Intra-region localisation (Eq. 11). Off: each labelled pixel takes its most confident class of the label set. */
  localise: boolean;
  /** Expansion to adjacent regions (Eq. 13). */
  expand: boolean;
}

export interface RunConfig {
  dataset: DatasetKind;
  /** Dataset folder; for 'synthetic' it is generated there when missing. */
  root: string;
  /** Size of the generated synthetic dataset (ignored for real datasets). */
  synthetic: { train: number; val: number; height: number; width: number };
  preset: PresetName;
  labelling: Labelling;
  /** Dominant labelling: 'majority' (default) or 'sampled' (drawn with probability proportional to pixel counts). */
  dominant: 'majority' | 'sampled';
  acquisition: Acquisition;
  /** BALD: Monte-Carlo dropout forwards per pool image (T). */
  baldPasses: number;
  /** KNN: nearest labelled regions a candidate's distance averages over (k). */
  knnK: number;
  /** 'human': after selection the loop writes the round's queries and stops until they are answered. */
  oracle: OracleKind;
  rounds: number;
  /** Clicks per round (a multi-class answer costs one click per class). */
  budget: number;
  /** Training iterations of stage 1 and stage 2, per round. */
  iterations: number;
  stage2Iterations: number;
  /** Backbone learning rates (the head trains at 10x); stage 2 has its own. */
  lr: number;
  lr2: number;
  weightDecay: number;
  batch: number;
  crop: number;
  nu: number;
  tau: number;
  weights: LossWeights;
  /**
   * Stage 1's loss on multi-class regions: the method's MP + PP, or a partial-label baseline (the
   * infimum or the RC loss, Fig. 12(a)) weighted by lambda_MP in their place. A config saved before
   * the option existed reads as 'mp-pp'.
   */
  stage1Loss: Stage1Loss;
  reading: LossReading;
  ablation: Ablation;
  /** Re-estimate BN statistics on whole training images after each stage (see bn-recalibration.ts). */
  bnRecalibration: boolean;
  /** Skip stage 2 (pseudo-labels and retraining). */
  stage2: boolean;
  superpixels: SuperpixelSpec;
  seed: number;
  /** Run directory. */
  out: string;
  /** Checkpoint every this many iterations (and at every phase end). */
  checkpointEvery: number;
  /** Validation images evaluated per round (0 = all). */
  valLimit: number;
  /** Val images whose predictions and pseudo-labels are saved as PNGs each round. */
  visualise: number;
  /** Optional ImageNet-pretrained ResNet weights (safetensors, torchvision names). */
  pretrained?: string;
  /**
   * Training crops: 'labelled' redraws a crop with no labelled pixel around a labelled pixel of its
   * image (docs/sampler.md); 'random' keeps plain random crops, the authors' sampler. Absent:
   * 'labelled'.
   */
  sampler?: 'labelled' | 'random';
  /**
   * Stage 2's pseudo-labels: 'model' (the method: prototypes, localisation, expansion) or 'oracle'
   * (the upper bound: the ground truth inside each labelled region, see oraclePseudoLabels in
   * pseudo-label-files.ts). Absent: 'model'.
   */
  pseudo?: 'model' | 'oracle';
}

export const DEFAULT_CONFIG: RunConfig = {
  dataset: 'synthetic',
  root: 'data/synthetic',
  synthetic: { train: 24, val: 8, height: 128, width: 256 },
  preset: 'tiny',
  labelling: 'multi',
  dominant: 'majority',
  acquisition: 'pixbal',
  baldPasses: DEFAULT_BALD_PASSES,
  knnK: DEFAULT_KNN_K,
  oracle: 'simulated',
  rounds: 5,
  budget: 120,
  iterations: 100,
  stage2Iterations: 100,
  lr: 2e-3,
  lr2: 4e-3,
  weightDecay: 1e-5,
  batch: 4,
  crop: 96,
  nu: 6,
  tau: 0.1,
  weights: { ...DEFAULT_LOSS_WEIGHTS },
  stage1Loss: 'mp-pp',
  reading: 'code',
  ablation: { mp: true, pp: true, localise: true, expand: true },
  bnRecalibration: true,
  stage2: true,
  superpixels: { algorithm: 'seeds' },
  seed: 0,
  out: 'runs/default',
  checkpointEvery: 20,
  valLimit: 0,
  visualise: 4,
  sampler: 'labelled',
};

/**
 * The paper's crop and batch per dataset (768 px crops of 1024x2048 Cityscapes images, 513 px of
 * VOC's), used only where the training images cannot be read to derive them from their size
 * (al/training-defaults.ts; the data check then names the problem).
 */
export const DATASET_TRAINING: Record<DatasetKind, { crop: number; batch: number }> = {
  synthetic: { crop: DEFAULT_CONFIG.crop, batch: DEFAULT_CONFIG.batch },
  cityscapes: { crop: 768, batch: 4 },
  voc: { crop: 513, batch: 4 },
  // A user's own photographs: VOC's setting for natural images of a few hundred pixels a side.
  folder: { crop: 513, batch: 4 },
};
