// Cityscapes layout reader (also serves the synthetic set, which is written in the same layout):
//   <root>/leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png
//   <root>/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png
import { join } from 'node:path';
import {
  CITYSCAPES_CLASS_NAMES, CITYSCAPES_LABEL_TO_TRAIN, CITYSCAPES_MAX_LABEL_ID, CITYSCAPES_PALETTE,
} from './cityscapes-labels.js';
import { IMAGENET_MEAN_COLOR, type Dataset, type LoadedSample, type Sample } from './dataset.js';
import { DataError } from './errors.js';
import { mapLabels } from './label-checks.js';
import { isDirectory, listDir } from './listing.js';
import { readIndexPng, readRgbPng } from './png.js';
import { loadWith, type SampleReader } from './sample-reader.js';

const IMAGE_SUFFIX = '_leftImg8bit.png';
const LABEL_SUFFIX = '_gtFine_labelIds.png';

export function cityscapesImagePath(root: string, split: string, city: string, base: string): string {
  return join(root, 'leftImg8bit', split, city, `${base}${IMAGE_SUFFIX}`);
}

export function cityscapesLabelPath(root: string, split: string, city: string, base: string): string {
  return join(root, 'gtFine', split, city, `${base}${LABEL_SUFFIX}`);
}

export function listCityscapesSamples(root: string, split: string): Sample[] {
  const splitDir = join(root, 'leftImg8bit', split);
  const samples: Sample[] = [];
  for (const city of listDir(splitDir)) {
    const cityDir = join(splitDir, city);
    if (!isDirectory(cityDir)) continue;
    for (const file of listDir(cityDir)) {
      if (!file.endsWith(IMAGE_SUFFIX)) continue;
      const base = file.slice(0, -IMAGE_SUFFIX.length);
      samples.push({
        id: `${city}/${base}`,
        imagePath: join(cityDir, file),
        labelPath: cityscapesLabelPath(root, split, city, base),
      });
    }
  }
  if (samples.length === 0) throw new DataError(splitDir, `empty split "${split}": no *${IMAGE_SUFFIX} images in any city folder`);
  return samples;
}

export const cityscapesReader: SampleReader = {
  readImage: readRgbPng,
  readLabel(file) {
    const raw = readIndexPng(file);
    const data = mapLabels(file, raw.data, raw.width, CITYSCAPES_LABEL_TO_TRAIN, `Cityscapes label ids 0..${CITYSCAPES_MAX_LABEL_ID}`);
    return { width: raw.width, height: raw.height, data };
  },
};

export function loadCityscapesSample(sample: Sample): LoadedSample {
  return loadWith(cityscapesReader, sample);
}

export function openCityscapes(root: string, split: string, kind: 'cityscapes' | 'synthetic' = 'cityscapes'): Dataset {
  return {
    kind,
    root,
    split,
    samples: listCityscapesSamples(root, split),
    numClasses: CITYSCAPES_CLASS_NAMES.length,
    hasUndefinedClass: true,
    classNames: CITYSCAPES_CLASS_NAMES,
    palette: Uint8Array.from(CITYSCAPES_PALETTE),
    meanColor: IMAGENET_MEAN_COLOR,
    load: loadCityscapesSample,
  };
}
