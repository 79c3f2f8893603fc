// Rebuilding a trained model from a checkpoint written by `alseg train`.
import { DEFAULT_CONFIG, type RunConfig } from '../al/config.js';
import { openRunDataset } from '../run/run-data.js';
import type { Dataset } from '../data/dataset.js';
import { loadCheckpoint, readCheckpointInfo } from '../model/checkpoint.js';
import type { DeepLabV3Plus } from '../model/deeplabv3plus.js';
import { createModel } from '../model/presets.js';

export async function modelFromCheckpoint(path: string, split: string, root?: string): Promise<{ model: DeepLabV3Plus; cfg: RunConfig; dataset: Dataset }> {
  const info = await readCheckpointInfo(path);
  const cfg = info.config as RunConfig | null;
  if (!cfg || typeof cfg !== 'object' || !('preset' in cfg) || !('dataset' in cfg)) {
    throw new Error(`${path}: the checkpoint does not record the run's configuration (was it written by alseg train?)`);
  }
  const run: RunConfig = { ...DEFAULT_CONFIG, ...cfg, root: root ?? cfg.root };
  const dataset = openRunDataset(run, split);
  const model = createModel(cfg.preset, { numClasses: dataset.numClasses, undefinedClass: dataset.hasUndefinedClass, seed: cfg.seed });
  await loadCheckpoint(path, { model });
  return { model, cfg: run, dataset };
}
