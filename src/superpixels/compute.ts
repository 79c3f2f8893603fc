// One entry point for "superpixels of this image under this configuration".
import { gridSuperpixels } from './grid.js';
import type { RegionMap } from './region-map.js';
import { SEEDS_DEFAULTS, seedsSuperpixels, type SeedsOptions } from './seeds.js';
import { SLIC_DEFAULTS, slicSuperpixels, type SlicOptions } from './slic.js';

export type SuperpixelSpec =
  | { algorithm: 'seeds'; params?: Partial<SeedsOptions> }
  | { algorithm: 'slic'; params?: Partial<SlicOptions> }
  | { algorithm: 'grid'; params?: { cell?: number } };

export type SuperpixelAlgorithm = SuperpixelSpec['algorithm'];

export const SUPERPIXEL_ALGORITHMS: readonly SuperpixelAlgorithm[] = ['seeds', 'slic', 'grid'];

/** The spec with every parameter filled in, keys sorted: what a cache must match. */
export function resolvedParams(spec: SuperpixelSpec): Record<string, unknown> {
  const full: Record<string, unknown> =
    spec.algorithm === 'seeds' ? { ...SEEDS_DEFAULTS, ...spec.params }
    : spec.algorithm === 'slic' ? { ...SLIC_DEFAULTS, ...spec.params }
    : { cell: 32, ...spec.params };
  return Object.fromEntries(Object.entries(full).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)));
}

export function computeSuperpixels(spec: SuperpixelSpec, rgb: Uint8Array, width: number, height: number): RegionMap {
  switch (spec.algorithm) {
    case 'seeds':
      return seedsSuperpixels(rgb, width, height, spec.params);
    case 'slic':
      return slicSuperpixels(rgb, width, height, spec.params);
    case 'grid':
      return gridSuperpixels(width, height, spec.params?.cell ?? 32);
  }
}
