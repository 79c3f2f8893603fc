// The one interface the rest of alseg sees, whatever the dataset's layout on disk.

export type DatasetKind = 'cityscapes' | 'voc' | 'synthetic' | 'folder';

export const DATASET_KINDS: readonly DatasetKind[] = ['cityscapes', 'voc', 'synthetic', 'folder'];

export interface Sample {
  /** Unique within the split, stable across runs (used for caches and run records). */
  id: string;
  imagePath: string;
  /** '' where the split has no labels (a folder's pool of plain images). */
  labelPath: string;
}

export interface LoadedSample {
  /** RGB, H x W x 3. */
  image: Uint8Array;
  /** Train ids 0..numClasses-1, or 255 for void. H x W. */
  label: Uint8Array;
  width: number;
  height: number;
}

export interface Dataset {
  kind: DatasetKind;
  root: string;
  split: string;
  samples: readonly Sample[];
  /** Real classes (19 Cityscapes, 21 VOC); the model adds one output when hasUndefinedClass. */
  numClasses: number;
  /**
   * Whether void pixels (255) become an extra "undefined" class C (docs/method.md, "Model"): true for
   * Cityscapes and the synthetic set, false for VOC, whose 255 is an object-boundary band.
   */
  hasUndefinedClass: boolean;
  classNames: readonly string[];
  /** RGB triples per class (numClasses entries), for visualisations. */
  palette: Uint8Array;
  /** The colour padded crops are filled with (ImageNet mean x 255, so padding normalises to 0). */
  meanColor: readonly [number, number, number];
  /** False for images without ground truth (a folder's pool): their labels load as all 255. */
  labelled?: boolean;
  load(sample: Sample): LoadedSample;
}

/** ImageNet statistics, shared by padding and normalisation. */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];
export const IMAGENET_MEAN_COLOR: readonly [number, number, number] = [
  Math.round(IMAGENET_MEAN[0] * 255), Math.round(IMAGENET_MEAN[1] * 255), Math.round(IMAGENET_MEAN[2] * 255),
];

/** The label void ground truth (255) stands for: the undefined class C where the dataset has one, else -1 (ignored). */
export function voidClass(ds: Pick<Dataset, 'numClasses' | 'hasUndefinedClass'>): number {
  return ds.hasUndefinedClass ? ds.numClasses : -1;
}

/** Number of model outputs: C, plus one for the undefined class where the dataset has one. */
export function numOutputs(ds: Pick<Dataset, 'numClasses' | 'hasUndefinedClass'>): number {
  return ds.numClasses + (ds.hasUndefinedClass ? 1 : 0);
}
