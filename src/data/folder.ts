// A folder of plain images nobody has labelled, for runs with a human oracle (--oracle human):
//   <root>/classes.json               class names and colours (classes-file.ts)
//   <root>/*.png, *.jpg, *.jpeg       the training pool, no labels
//   <root>/val/*.png|jpg|jpeg         optional labelled validation split, with
//   <root>/val/labels/<name>.png      8-bit class indices (order of classes.json), 255 = ignore
// Without <root>/val the loop skips evaluation and says so. There is no "undefined" class: a
// person who cannot tell answers "unsure" and the region stays unlabelled.
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { readClassesFile } from './classes-file.js';
import { IMAGENET_MEAN_COLOR, type Dataset, type LoadedSample, type Sample } from './dataset.js';
import { DataError } from './errors.js';
import { mapLabels } from './label-checks.js';
import { isDirectory, listDir } from './listing.js';
import { readIndexPng, readRgbPng, type RgbImage } from './png.js';
import { loadWith, type SampleReader } from './sample-reader.js';
import { readJpeg } from './voc.js';

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

export function folderClassesPath(root: string): string {
  return join(root, 'classes.json');
}

/** The folder a split's images are in: the root itself for "train", <root>/<split> otherwise. */
export function folderSplitDir(root: string, split: string): string {
  return split === 'train' ? root : join(root, split);
}

/** Whether the folder has the optional labelled validation split. */
export function folderHasSplit(root: string, split: string): boolean {
  return split === 'train' || isDirectory(folderSplitDir(root, split));
}

function readImage(file: string): RgbImage {
  return extname(file).toLowerCase() === '.png' ? readRgbPng(file) : readJpeg(file);
}

export function listFolderSamples(root: string, split: string): Sample[] {
  const dir = folderSplitDir(root, split);
  const samples: Sample[] = [];
  const seen = new Map<string, string>();
  for (const file of listDir(dir)) {
    const ext = extname(file);
    if (!IMAGE_EXTENSIONS.includes(ext.toLowerCase())) continue;
    const id = file.slice(0, -ext.length);
    const other = seen.get(id);
    if (other) throw new DataError(join(dir, file), `has the same name as ${other} apart from the extension; rename one`);
    seen.set(id, file);
    samples.push({ id, imagePath: join(dir, file), labelPath: split === 'train' ? '' : join(dir, 'labels', `${id}.png`) });
  }
  if (samples.length === 0) throw new DataError(dir, `no images (${IMAGE_EXTENSIONS.join(', ')}) in the folder`);
  return samples;
}

/** Labels of a labelled split: class indices below `numClasses`, or 255. */
export function folderReader(numClasses: number): SampleReader {
  const table: number[] = new Array<number>(256);
  for (let v = 0; v < numClasses; v++) table[v] = v;
  table[255] = 255;
  return {
    readImage,
    readLabel(file) {
      if (!existsSync(file)) throw new DataError(file, 'missing label (a validation image needs labels/<name>.png with class indices)');
      const raw = readIndexPng(file);
      return { width: raw.width, height: raw.height, data: mapLabels(file, raw.data, raw.width, table, `class indices 0..${numClasses - 1} of classes.json and 255`) };
    },
  };
}

/** The training pool: images only, every label pixel ignored (255). */
function loadUnlabelled(sample: Sample): LoadedSample {
  const image = readImage(sample.imagePath);
  return { image: image.data, label: new Uint8Array(image.width * image.height).fill(255), width: image.width, height: image.height };
}

export function openFolder(root: string, split: string): Dataset {
  const classes = readClassesFile(folderClassesPath(root));
  const reader = folderReader(classes.names.length);
  const labelled = split !== 'train';
  return {
    kind: 'folder',
    root,
    split,
    samples: listFolderSamples(root, split),
    numClasses: classes.names.length,
    hasUndefinedClass: false,
    classNames: classes.names,
    palette: classes.palette,
    meanColor: IMAGENET_MEAN_COLOR,
    labelled,
    load: labelled ? (s) => loadWith(reader, s) : loadUnlabelled,
  };
}
