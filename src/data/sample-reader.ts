import type { LoadedSample, Sample } from './dataset.js';
import { checkSameSize } from './label-checks.js';
import type { GreyImage, RgbImage } from './png.js';

/** How one layout reads its two files; `check.ts` calls the halves separately to report both. */
export interface SampleReader {
  readImage(file: string): RgbImage;
  /** Train ids / 255, value range already checked. */
  readLabel(file: string): GreyImage<Uint8Array>;
}

export function loadWith(reader: SampleReader, sample: Sample): LoadedSample {
  const image = reader.readImage(sample.imagePath);
  const label = reader.readLabel(sample.labelPath);
  checkSameSize(sample.labelPath, label, image);
  return { image: image.data, label: label.data, width: image.width, height: image.height };
}
