/**
 * A superpixel segmentation: `ids[y * width + x]` in 0..count-1, every id one 4-connected region.
 * Flat Int32Array so it uploads to the GPU as is.
 */
export interface RegionMap {
  width: number;
  height: number;
  ids: Int32Array;
  count: number;
}
