// `alseg data check`: reads every file of every requested split and reports all problems at once,
// rather than stopping at the first as training would.
import { cityscapesReader } from './cityscapes.js';
import type { DatasetKind } from './dataset.js';
import { DataError, describeError } from './errors.js';
import { checkSameSize } from './label-checks.js';
import { openDataset } from './open-dataset.js';
import type { GreyImage, RgbImage } from './png.js';
import type { Sample } from './dataset.js';
import type { SampleReader } from './sample-reader.js';
import { folderReader } from './folder.js';
import { vocReader } from './voc.js';

export interface DataProblem {
  file: string;
  problem: string;
}

export interface CheckProgress {
  split: string;
  done: number;
  total: number;
}

export interface CheckResult {
  problems: DataProblem[];
  /** Samples listed per split (0 where the split could not be listed). */
  samples: Record<string, number>;
}

/** `numClasses`: the classes a folder's labels may hold (from its classes.json). */
function readerFor(kind: DatasetKind, numClasses: number): SampleReader {
  return kind === 'voc' ? vocReader : kind === 'folder' ? folderReader(numClasses) : cityscapesReader;
}

export function attempt<T>(problems: DataProblem[], fallbackFile: string, read: () => T): T | null {
  try {
    return read();
  } catch (err) {
    if (err instanceof DataError) problems.push({ file: err.file, problem: err.problem });
    else problems.push({ file: fallbackFile, problem: describeError(err) });
    return null;
  }
}

export function checkDataset(
  kind: DatasetKind,
  root: string,
  splits: readonly string[],
  onProgress?: (p: CheckProgress) => void,
): CheckResult {
  const problems: DataProblem[] = [];
  const samples: Record<string, number> = {};
  for (const split of splits) {
    const ds = attempt(problems, root, () => openDataset(kind, root, split));
    samples[split] = ds?.samples.length ?? 0;
    if (!ds) continue;
    ds.samples.forEach((sample, i) => {
      problems.push(...sampleProblems(kind, sample, ds.numClasses));
      onProgress?.({ split, done: i + 1, total: ds.samples.length });
    });
  }
  return { problems, samples };
}

/** Every problem of one sample: its image, its label (where it has one), and whether the two agree. */
export function sampleProblems(kind: DatasetKind, sample: Sample, numClasses: number): DataProblem[] {
  const reader = readerFor(kind, numClasses);
  const problems: DataProblem[] = [];
  const image: RgbImage | null = attempt(problems, sample.imagePath, () => reader.readImage(sample.imagePath));
  const label: GreyImage | null = sample.labelPath === '' ? null : attempt(problems, sample.labelPath, () => reader.readLabel(sample.labelPath));
  if (image && label) attempt(problems, sample.labelPath, () => checkSameSize(sample.labelPath, label, image));
  return problems;
}
