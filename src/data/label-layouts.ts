// Class maps written in the layouts other segmentation tools read, each in its dataset's own
// conventions (the readers of this folder read them back):
//   cityscapes  gtFine/<split>/<city>/<base>_gtFine_labelIds.png       label ids (0 = unlabeled)
//               gtFine/<split>/<city>/<base>_gtFine_labelTrainIds.png  train ids, 255 ignored, as
//               cityscapesScripts' createTrainIdLabelImgs writes them
//   voc         SegmentationClass/<id>.png   palette PNG, index = class, 255 unlabelled, the VOC
//               colour map; ImageSets/Segmentation/<split>.txt lists the ids and labelmap.txt
//               names each index's class and colour (the form CVAT's "Segmentation mask" reads)
//   png         <id>.png                     8-bit class indices, 255 unlabelled (the folder
//               dataset's val/labels convention)
// COCO JSON is in coco.ts.
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { CITYSCAPES_CLASS_NAMES, CITYSCAPES_TRAIN_TO_LABEL } from './cityscapes-labels.js';
import { cityscapesLabelPath } from './cityscapes.js';
import { writeGreyPng, writePalettePng, type GreyImage } from './png.js';
import { vocColorMap } from './voc-labels.js';

export type LabelFormat = 'cityscapes' | 'voc' | 'coco' | 'png';
export const LABEL_FORMATS: readonly LabelFormat[] = ['cityscapes', 'voc', 'coco', 'png'];

/** The value of an unlabelled pixel in a class map (and in VOC, trainIds and plain PNGs). */
export const UNLABELLED = 255;

/** Class indices of the run's classes per pixel, UNLABELLED where there is no label. */
export type ClassMap = GreyImage<Uint8Array>;

/** Why a format cannot hold maps of these classes, or null when it can. */
export function formatRefusal(format: LabelFormat, classNames: readonly string[]): string | null {
  if (format === 'cityscapes' && (classNames.length !== CITYSCAPES_CLASS_NAMES.length || classNames.some((n, i) => n !== CITYSCAPES_CLASS_NAMES[i]))) {
    return `Cityscapes label ids exist for the 19 Cityscapes classes only (a cityscapes or synthetic run); this run's classes are ${classNames.join(', ')}: use --format voc, coco or png`;
  }
  if (classNames.length >= UNLABELLED) return `${classNames.length} classes do not fit 8-bit class maps with ${UNLABELLED} as unlabelled`;
  return null;
}

/** Where a sample's Cityscapes label files go; a Cityscapes sample id is <city>/<base>. */
export function cityscapesMapFiles(root: string, split: string, id: string): { labelIds: string; trainIds: string } {
  const slash = id.indexOf('/');
  if (slash < 0) throw new Error(`sample id "${id}" is not <city>/<base>: the Cityscapes layout needs a city folder`);
  const labelIds = cityscapesLabelPath(root, split, id.slice(0, slash), id.slice(slash + 1));
  return { labelIds, trainIds: labelIds.replace(/_gtFine_labelIds\.png$/, '_gtFine_labelTrainIds.png') };
}

export function writeCityscapesMap(root: string, split: string, id: string, map: ClassMap): void {
  const files = cityscapesMapFiles(root, split, id);
  const labelIds = Uint8Array.from(map.data, (c) => (c === UNLABELLED ? 0 : CITYSCAPES_TRAIN_TO_LABEL[c]!));
  writeGreyPng(files.labelIds, { ...map, data: labelIds });
  writeGreyPng(files.trainIds, map);
}

export const vocMapFile = (root: string, id: string) => join(root, 'SegmentationClass', `${id}.png`);

export function writeVocMap(root: string, id: string, map: ClassMap): void {
  writePalettePng(vocMapFile(root, id), map, vocColorMap(256));
}

/** A VOC layout's split list and class table (index: name and the colour its pixels show). */
export function writeVocLists(root: string, split: string, ids: readonly string[], classNames: readonly string[]): void {
  writeFileAtomic(join(root, 'ImageSets', 'Segmentation', `${split}.txt`), ids.map((id) => `${id}\n`).join(''));
  const colours = vocColorMap(256);
  const line = (name: string, i: number) => `${name}:${colours[3 * i]},${colours[3 * i + 1]},${colours[3 * i + 2]}::\n`;
  writeFileAtomic(join(root, 'labelmap.txt'), `# label:color_rgb:parts:actions\n${classNames.map(line).join('')}`);
}

export const plainMapFile = (root: string, id: string) => join(root, `${id}.png`);

export function writePlainMap(root: string, id: string, map: ClassMap): void {
  writeGreyPng(plainMapFile(root, id), map);
}
