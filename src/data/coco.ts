// COCO's annotation file (cocodataset.org, "Data format"), as far as segmentation needs it, and its
// run-length encoding of binary masks. COCO's RLE (pycocotools, maskApi.c) reads the mask in
// column-major order (down each column, left to right) and alternates run lengths starting with a
// run of zeros (0 when the first pixel is set); this is the uncompressed form, `counts` a list of
// integers, which pycocotools reads with frPyObjects (annToRLE does so for every annotation whose
// counts is a list). Category ids start at 1, as in COCO (0 is left to "unlabelled").

export interface CocoRle {
  /** [height, width], COCO's order. */
  size: [number, number];
  counts: number[];
}

export interface CocoImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
}

export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  segmentation: CocoRle;
  /** Pixels in the mask. */
  area: number;
  /** [x, y, width, height] of the mask's pixels. */
  bbox: [number, number, number, number];
  iscrowd: 0;
  /** Extra fields, as annotation tools export them (CVAT's "attributes"). */
  attributes?: Record<string, unknown>;
}

export interface CocoCategory {
  id: number;
  name: string;
  supercategory: string;
}

export interface CocoFile {
  info: { description: string; version: string; date_created: string };
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}

/** The COCO category id of class index `c`. */
export const cocoCategoryId = (c: number) => c + 1;

/** Categories for class names in index order. */
export function cocoCategories(names: readonly string[]): CocoCategory[] {
  return names.map((name, c) => ({ id: cocoCategoryId(c), name, supercategory: '' }));
}

/** COCO RLE of the pixels where `inMask(i)` holds, i = y * width + x (row-major input). */
export function encodeCocoRle(width: number, height: number, inMask: (i: number) => boolean): CocoRle {
  const counts: number[] = [];
  let current = false;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = inMask(y * width + x);
      if (v !== current) {
        counts.push(run);
        current = v;
        run = 0;
      }
      run++;
    }
  }
  counts.push(run);
  return { size: [height, width], counts };
}

/** Pixel count and [x, y, w, h] box of a mask given as a predicate over row-major indices. */
export function maskBox(width: number, height: number, inMask: (i: number) => boolean): { area: number; bbox: [number, number, number, number] } {
  let x0 = width, y0 = height, x1 = -1, y1 = -1, area = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!inMask(y * width + x)) continue;
      area++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return area ? { area, bbox: [x0, y0, x1 - x0 + 1, y1 - y0 + 1] } : { area: 0, bbox: [0, 0, 0, 0] };
}
