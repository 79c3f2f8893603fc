// Named model configurations. `tiny` is the CPU-friendly default (a narrow ResNet-18 that trains
// on a software adapter); `r50` and `r101` are the paper's networks at full width.
import type { DeepLabConfig } from './deeplabv3plus.js';
import { DeepLabV3Plus } from './deeplabv3plus.js';

export type PresetName = 'tiny' | 'r50' | 'r101';

export interface Preset {
  name: PresetName;
  description: string;
  /** Everything but the dataset-dependent fields (classes, undefined class) and the seed. */
  model: Omit<DeepLabConfig, 'numClasses' | 'undefinedClass' | 'seed'>;
  /** Training crop (square) and batch the preset is meant for. */
  crop: number;
  batch: number;
}

export const PRESETS: Record<PresetName, Preset> = {
  tiny: {
    name: 'tiny',
    description: 'ResNet-18 deep stem at 1/8 width (head 32 ch), OS16, separable head; 128 px crops, batch 4',
    model: { backbone: { depth: 18, width: 1 / 8, outputStride: 16, stem: 'deep' }, separable: true },
    crop: 128,
    batch: 4,
  },
  r50: {
    name: 'r50',
    description: "ResNet-50 deep stem, OS16, separable DeepLabv3+ head at the paper's widths",
    model: { backbone: { depth: 50, width: 1, outputStride: 16, stem: 'deep' }, separable: true },
    crop: 768,
    batch: 4,
  },
  r101: {
    name: 'r101',
    description: "ResNet-101 deep stem, OS16, separable DeepLabv3+ head at the paper's widths",
    model: { backbone: { depth: 101, width: 1, outputStride: 16, stem: 'deep' }, separable: true },
    crop: 768,
    batch: 4,
  },
};

export function isPresetName(s: string): s is PresetName {
  return Object.prototype.hasOwnProperty.call(PRESETS, s);
}

/** The full model config of a preset for a dataset, with optional overrides. */
export function presetConfig(
  preset: PresetName,
  options: { numClasses: number; undefinedClass?: boolean; seed?: number; overrides?: Partial<DeepLabConfig> },
): DeepLabConfig {
  const p = PRESETS[preset];
  if (!p) throw new Error(`unknown model preset "${preset}" (known: ${Object.keys(PRESETS).join(', ')})`);
  return { ...p.model, numClasses: options.numClasses, undefinedClass: options.undefinedClass, seed: options.seed, ...options.overrides };
}

/** Builds a preset's model (Kaiming init from `seed`). */
export function createModel(preset: PresetName, options: { numClasses: number; undefinedClass?: boolean; seed?: number; overrides?: Partial<DeepLabConfig> }): DeepLabV3Plus {
  return new DeepLabV3Plus(presetConfig(preset, options));
}
