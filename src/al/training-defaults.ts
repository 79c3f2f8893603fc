// Crop, batch and superpixel size when the command line gives none, derived from the dataset's own
// images in the paper's proportions (docs/method.md, "Training settings"): Cityscapes trains on
// 768 px crops of 1024x2048 images, 3/4 of the image height; VOC on 513 px crops of images of at
// most 500 px a side, the whole image; both with batches of 4 and superpixels of about 32x32 px
// (2048 per Cityscapes image). A set of 256x512 street scenes so gets 192 px crops, not 768 px
// crops that would be three-quarters padding.
import type { DatasetKind } from '../data/dataset.js';
import type { ImageSize } from '../data/image-size.js';

/** The paper's: batch 4, regions of ~32x32 px, crops at most 768 px (Cityscapes'). */
export const PAPER_BATCH = 4;
export const PAPER_REGION_SIZE = 32;
export const LARGEST_DEFAULT_CROP = 768;

/** The crop lattice: the model's output stride. */
const LATTICE = 16;

export interface TrainingDefaults {
  crop: number;
  batch: number;
  /** One line per value: what was chosen and why. */
  reasons: string[];
}

/**
 * Street scenes (Cityscapes layout, the synthetic set): 3/4 of the image height on the 16-px
 * lattice, as 768 of 1024. Photographs (VOC layout, a folder of photos): the whole image, as 513
 * for VOC's ~500 px; 513 exactly on images of VOC's size. Never more than 768 px.
 */
export function trainingDefaults(kind: DatasetKind, size: ImageSize): TrainingDefaults {
  const { width, height } = size;
  const photos = kind === 'voc' || kind === 'folder';
  let crop: number;
  let why: string;
  if (photos) {
    const side = Math.max(width, height);
    crop = side <= 500 ? 513 : Math.min(LARGEST_DEFAULT_CROP, Math.ceil(side / LATTICE) * LATTICE);
    why = side <= 500 ? `the whole image, as the paper's 513 px crops of VOC's images of at most 500 px` : `the whole ${side} px image, as the paper's 513 px crops of VOC's ~500 px images`;
  } else {
    crop = Math.min(LARGEST_DEFAULT_CROP, Math.max(32, Math.round((0.75 * height) / LATTICE) * LATTICE));
    why = `3/4 of the ${height} px image height, as the paper's 768 px crops of 1024x2048 Cityscapes images`;
  }
  if (crop === LARGEST_DEFAULT_CROP && (photos ? Math.max(width, height) : 0.75 * height) > LARGEST_DEFAULT_CROP) why += `, at most ${LARGEST_DEFAULT_CROP} px`;
  return {
    crop,
    batch: PAPER_BATCH,
    reasons: [
      `crop ${crop} px: ${why}`,
      `batch ${PAPER_BATCH}: the paper's (split into micro-batches with a notice where a batch is past the adapter's binding limits)`,
    ],
  };
}

/** What the default superpixel size means for images of this size. */
export function regionSizeReason(size: ImageSize, regionSize: number, given: boolean): string {
  const per = Math.round((size.width * size.height) / (regionSize * regionSize));
  return `superpixels of ~${regionSize}x${regionSize} px: ${given ? 'given' : "the paper's region size (2048 per 1024x2048 Cityscapes image)"}, ~${per} per ${size.width}x${size.height} image`;
}
