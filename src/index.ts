// alseg's public API: the engine (tensors, autograd, ops, optimisers), the model, and the method's
// operations (on tensors and on plain typed arrays), plus the loop itself.
export * from './engine/index.js';
export { DeepLabV3Plus, type DeepLabConfig, type SegmentationOutput } from './model/deeplabv3plus.js';
export { createModel, PRESETS, type PresetName } from './model/presets.js';
export { saveCheckpoint, loadCheckpoint, readCheckpointInfo } from './model/checkpoint.js';
export { importResNetWeights } from './model/weights.js';
export { regionLoss, regionLossUnfused, type RegionLoss, type RegionLossOptions } from './al/losses.js';
export { buildRegionBatch, pixelLabelBatch, DEFAULT_LOSS_WEIGHTS, type RegionBatch, type LossWeights, type LossReading } from './al/region-batch.js';
export { regionStats, scoreRegions, selectByBudget, ACQUISITIONS, type Acquisition, type ImageRegionStats, type RegionRef } from './al/acquisition.js';
export { pseudoLabels, pairTables, DEFAULT_PSEUDO_FLAGS, type PseudoLabelFlags, type PseudoLabelInput } from './al/pseudo-labels.js';
export { ConfusionMatrix, iouFromCounts, type IoUReport } from './al/metrics.js';
export { regionLossOnArrays, regionStatsOnArrays, acquisitionScores, pseudoLabelsOnArrays, miouOnArrays, type ArrayTensor } from './al/api.js';
export { runActiveLearning, type LoopEvent, type LoopResult } from './run/rounds.js';
export { evaluate } from './run/evaluation.js';
export { DEFAULT_CONFIG, type RunConfig, type Ablation, type Labelling } from './al/config.js';
export { multiClassAnswers, dominantAnswers, answerBitmasks } from './al/oracle.js';
export { regionAdjacency, regionPixels } from './superpixels/adjacency.js';
export { computeSuperpixels, type SuperpixelSpec } from './superpixels/compute.js';
export { openDataset } from './data/open-dataset.js';
export { writeSyntheticDataset, ensureSyntheticDataset, DEFAULT_SYNTHETIC } from './data/synthetic.js';
export { trainStep, batchLoss, crossEntropyWithTemperature, segmentationLoss, predictAtInput, LossLog, measurePeakBytes, type TrainStepOptions, type StepLoss, type StepPhase, type CrossEntropyOptions } from './model/train-step.js';
export { upsampleOutput, logitsAtInput, type ForwardOptions, type ResolvedDeepLabConfig } from './model/deeplabv3plus.js';
export { presetConfig, type Preset } from './model/presets.js';
export { importResNetWeightsFrom, type ImportReport, type WeightScheme } from './model/weights.js';
export { Module, Layer, Sequential } from './model/module.js';
export { ResNet, type ResNetConfig, type ResNetDepth } from './model/resnet.js';
