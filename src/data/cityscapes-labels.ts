// The official Cityscapes label table (cityscapesScripts, helpers/labels.py): label id -> train id.
// Ids with trainId 255 (unlabeled, ego vehicle, rectification border, out of roi, static, dynamic,
// ground, parking, rail track, guard rail, bridge, tunnel, polegroup, caravan, trailer) are void.

export const CITYSCAPES_CLASS_NAMES = [
  'road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light', 'traffic sign',
  'vegetation', 'terrain', 'sky', 'person', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle',
  'bicycle',
] as const;

export type CityscapesClass = (typeof CITYSCAPES_CLASS_NAMES)[number];

export const VOID = 255;

/** Label ids 0..33 (index) -> train id 0..18 or 255. */
export const CITYSCAPES_LABEL_TO_TRAIN: Readonly<Uint8Array> = Uint8Array.from([
  255, 255, 255, 255, 255, 255, 255, // 0 unlabeled .. 6 ground
  0, 1, // 7 road, 8 sidewalk
  255, 255, // 9 parking, 10 rail track
  2, 3, 4, // 11 building, 12 wall, 13 fence
  255, 255, 255, // 14 guard rail, 15 bridge, 16 tunnel
  5, // 17 pole
  255, // 18 polegroup
  6, 7, 8, 9, 10, 11, 12, 13, 14, 15, // 19 traffic light .. 28 bus
  255, 255, // 29 caravan, 30 trailer
  16, 17, 18, // 31 train, 32 motorcycle, 33 bicycle
]);

/** Largest label id in the table; larger values in a labelIds PNG are errors. */
export const CITYSCAPES_MAX_LABEL_ID = CITYSCAPES_LABEL_TO_TRAIN.length - 1;

/** Train id -> the label id the generator writes (the first label id mapping to it). */
export const CITYSCAPES_TRAIN_TO_LABEL: Readonly<Uint8Array> = (() => {
  const out = new Uint8Array(CITYSCAPES_CLASS_NAMES.length);
  for (let id = CITYSCAPES_MAX_LABEL_ID; id >= 0; id--) {
    const t = CITYSCAPES_LABEL_TO_TRAIN[id]!;
    if (t !== VOID) out[t] = id;
  }
  return out;
})();

/** The Cityscapes colour of each train id, for visualisations. */
export const CITYSCAPES_PALETTE: Readonly<Uint8Array> = Uint8Array.from([
  128, 64, 128, 244, 35, 232, 70, 70, 70, 102, 102, 156, 190, 153, 153, 153, 153, 153, 250, 170, 30,
  220, 220, 0, 107, 142, 35, 152, 251, 152, 70, 130, 180, 220, 20, 60, 255, 0, 0, 0, 0, 142, 0, 0, 70,
  0, 60, 100, 0, 80, 100, 0, 0, 230, 119, 11, 32,
]);

/** Train id by class name, so generator code reads as names rather than magic numbers. */
export const TRAIN_ID: Readonly<Record<CityscapesClass, number>> = Object.fromEntries(
  CITYSCAPES_CLASS_NAMES.map((name, i) => [name, i]),
) as Record<CityscapesClass, number>;
