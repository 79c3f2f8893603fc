// PASCAL VOC 2012 reader: JPEGImages/<id>.jpg, SegmentationClass/<id>.png (palette indices,
// 255 = boundary/void), ImageSets/Segmentation/<split>.txt. JPEGs are decoded with jpeg-js: pure
// JavaScript (no native build to break on a fresh machine), small, and it runs inside a worker.
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { IMAGENET_MEAN_COLOR, type Dataset, type LoadedSample, type Sample } from './dataset.js';
import { DataError, describeError } from './errors.js';
import { mapLabels } from './label-checks.js';
import { isDirectory } from './listing.js';
import { readFileOrThrow, readIndexPng, type RgbImage } from './png.js';
import { loadWith, type SampleReader } from './sample-reader.js';
import { VOC_CLASS_NAMES, vocColorMap } from './voc-labels.js';

/** Values 0..20 are classes, 255 is void; anything else in a label PNG is an error. */
const VOC_VALUE_TABLE: ArrayLike<number> = (() => {
  const t: number[] = new Array<number>(256);
  for (let v = 0; v < VOC_CLASS_NAMES.length; v++) t[v] = v;
  t[255] = 255;
  return t;
})();

/** Accepts either the VOC2012 folder itself or a VOCdevkit folder holding it. */
export function resolveVocRoot(root: string): string {
  const nested = join(root, 'VOC2012');
  return !isDirectory(join(root, 'JPEGImages')) && isDirectory(join(nested, 'JPEGImages')) ? nested : root;
}

export function readJpeg(file: string): RgbImage {
  const buf = readFileOrThrow(file);
  try {
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: false });
    return { width: img.width, height: img.height, data: img.data };
  } catch (err) {
    throw new DataError(file, `corrupt JPEG (${describeError(err)})`);
  }
}

export function listVocSamples(root: string, split: string): Sample[] {
  const base = resolveVocRoot(root);
  const listFile = join(base, 'ImageSets', 'Segmentation', `${split}.txt`);
  const ids = readFileOrThrow(listFile)
    .toString('utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (ids.length === 0) throw new DataError(listFile, `empty split "${split}": the list has no image ids`);
  return ids.map((id) => ({
    id,
    imagePath: join(base, 'JPEGImages', `${id}.jpg`),
    labelPath: join(base, 'SegmentationClass', `${id}.png`),
  }));
}

export const vocReader: SampleReader = {
  readImage: readJpeg,
  readLabel(file) {
    const raw = readIndexPng(file);
    const data = mapLabels(file, raw.data, raw.width, VOC_VALUE_TABLE, `VOC classes 0..${VOC_CLASS_NAMES.length - 1} and 255`);
    return { width: raw.width, height: raw.height, data };
  },
};

export function loadVocSample(sample: Sample): LoadedSample {
  return loadWith(vocReader, sample);
}

export function openVoc(root: string, split: string): Dataset {
  return {
    kind: 'voc',
    root,
    split,
    samples: listVocSamples(root, split),
    numClasses: VOC_CLASS_NAMES.length,
    hasUndefinedClass: false,
    classNames: VOC_CLASS_NAMES,
    palette: vocColorMap(VOC_CLASS_NAMES.length),
    meanColor: IMAGENET_MEAN_COLOR,
    load: loadVocSample,
  };
}
