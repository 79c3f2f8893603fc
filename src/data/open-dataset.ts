import { openCityscapes } from './cityscapes.js';
import { DATASET_KINDS, type Dataset, type DatasetKind } from './dataset.js';
import { openFolder } from './folder.js';
import { openVoc } from './voc.js';

export function isDatasetKind(kind: string): kind is DatasetKind {
  return (DATASET_KINDS as readonly string[]).includes(kind);
}

/** Opens one split; throws a DataError naming the file or folder when the split cannot be listed. */
export function openDataset(kind: DatasetKind, root: string, split: string): Dataset {
  switch (kind) {
    case 'cityscapes':
    case 'synthetic':
      return openCityscapes(root, split, kind);
    case 'voc':
      return openVoc(root, split);
    case 'folder':
      return openFolder(root, split);
  }
}
