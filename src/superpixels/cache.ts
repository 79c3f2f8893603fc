// On-disk cache of region maps, one file per image:
//   "ALSP" | u32 LE header length | header JSON | deflated ids (u16 LE when they fit, else i32 LE)
// The header records the format version, the algorithm with all its parameters, the image size and
// the source image's size and mtime; a file whose header does not match what is asked for is stale
// and gets recomputed.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { writeFileAtomic } from '../data/atomic-write.js';
import type { Dataset, Sample } from '../data/dataset.js';
import { computeSuperpixels, resolvedParams, type SuperpixelSpec } from './compute.js';
import type { RegionMap } from './region-map.js';

export const SUPERPIXEL_CACHE_VERSION = 1;
const MAGIC = 'ALSP';

interface CacheHeader {
  version: number;
  algorithm: string;
  params: Record<string, unknown>;
  width: number;
  height: number;
  count: number;
  encoding: 'u16' | 'i32';
  source: { bytes: number; mtimeMs: number };
}

function sourceStamp(file: string): { bytes: number; mtimeMs: number } {
  const st = statSync(file);
  return { bytes: st.size, mtimeMs: Math.floor(st.mtimeMs) };
}

/** `<base>/<kind>/<split>/<algorithm>-<hash of root and params>`: one folder per configuration. */
export function defaultSuperpixelCacheDir(ds: Pick<Dataset, 'kind' | 'root' | 'split'>, spec: SuperpixelSpec, base = '.cache/superpixels'): string {
  const hash = createHash('sha256').update(JSON.stringify([resolve(ds.root), spec.algorithm, resolvedParams(spec)])).digest('hex').slice(0, 12);
  return join(base, ds.kind, ds.split, `${spec.algorithm}-${hash}`);
}

export function superpixelCacheFile(cacheDir: string, sample: Pick<Sample, 'id'>): string {
  return join(cacheDir, `${sample.id}.sp`);
}

export function encodeRegionMap(map: RegionMap, header: Omit<CacheHeader, 'width' | 'height' | 'count' | 'encoding'>): Buffer {
  const encoding: CacheHeader['encoding'] = map.count <= 65536 ? 'u16' : 'i32';
  const full: CacheHeader = { ...header, width: map.width, height: map.height, count: map.count, encoding };
  const json = Buffer.from(JSON.stringify(full), 'utf8');
  const raw = encoding === 'u16' ? Buffer.alloc(map.ids.length * 2) : Buffer.alloc(map.ids.length * 4);
  map.ids.forEach((v, i) => (encoding === 'u16' ? raw.writeUInt16LE(v, 2 * i) : raw.writeInt32LE(v, 4 * i)));
  const head = Buffer.alloc(8);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(json.length, 4);
  return Buffer.concat([head, json, deflateSync(raw)]);
}

/** Parses a cache file; null when it is missing, corrupt, or does not match `expect`. */
export function decodeRegionMap(buf: Buffer, expect: { algorithm: string; params: Record<string, unknown>; source?: { bytes: number; mtimeMs: number } }): RegionMap | null {
  try {
    if (buf.toString('latin1', 0, 4) !== MAGIC) return null;
    const len = buf.readUInt32LE(4);
    const header = JSON.parse(buf.toString('utf8', 8, 8 + len)) as CacheHeader;
    if (header.version !== SUPERPIXEL_CACHE_VERSION || header.algorithm !== expect.algorithm) return null;
    if (JSON.stringify(header.params) !== JSON.stringify(expect.params)) return null;
    if (expect.source && (header.source.bytes !== expect.source.bytes || header.source.mtimeMs !== expect.source.mtimeMs)) return null;
    const raw = inflateSync(buf.subarray(8 + len));
    const n = header.width * header.height;
    const ids = new Int32Array(n);
    const bytes = header.encoding === 'u16' ? 2 : 4;
    if (raw.length !== n * bytes) return null;
    for (let i = 0; i < n; i++) ids[i] = bytes === 2 ? raw.readUInt16LE(2 * i) : raw.readInt32LE(4 * i);
    return { width: header.width, height: header.height, ids, count: header.count };
  } catch {
    return null;
  }
}

/** The cached region map of one sample, or null when absent or stale. */
export function readCachedRegions(cacheDir: string, sample: Sample, spec: SuperpixelSpec): RegionMap | null {
  let buf: Buffer;
  try {
    buf = readFileSync(superpixelCacheFile(cacheDir, sample));
  } catch {
    return null;
  }
  return decodeRegionMap(buf, { algorithm: spec.algorithm, params: resolvedParams(spec), source: sourceStamp(sample.imagePath) });
}

/** Cached when fresh, else computed from the image and written to the cache. */
export function loadRegions(ds: Dataset, sample: Sample, cacheDir: string, spec: SuperpixelSpec): { map: RegionMap; computed: boolean } {
  const cached = readCachedRegions(cacheDir, sample, spec);
  if (cached) return { map: cached, computed: false };
  const { image, width, height } = ds.load(sample);
  const map = computeSuperpixels(spec, image, width, height);
  writeFileAtomic(
    superpixelCacheFile(cacheDir, sample),
    encodeRegionMap(map, { version: SUPERPIXEL_CACHE_VERSION, algorithm: spec.algorithm, params: resolvedParams(spec), source: sourceStamp(sample.imagePath) }),
  );
  return { map, computed: true };
}

export interface SuperpixelProgress {
  done: number;
  total: number;
  sampleId: string;
  /** Whether this image was computed now (false: a fresh cache entry was reused). */
  computed: boolean;
  regions: number;
}

export interface SuperpixelCacheSummary {
  cacheDir: string;
  total: number;
  computed: number;
  reused: number;
  /** Mean regions per image. */
  meanRegions: number;
  seconds: number;
}

/**
 * Precomputes region maps for every sample of a split (what `alseg superpixels` runs). Yields to
 * the event loop between images so a progress bar can draw and Ctrl-C is handled promptly.
 */
export async function buildSuperpixelCache(
  ds: Dataset,
  spec: SuperpixelSpec,
  cacheDir: string = defaultSuperpixelCacheDir(ds, spec),
  onProgress?: (p: SuperpixelProgress) => void,
): Promise<SuperpixelCacheSummary> {
  const t0 = performance.now();
  let computed = 0;
  let regions = 0;
  for (let i = 0; i < ds.samples.length; i++) {
    const sample = ds.samples[i]!;
    const r = loadRegions(ds, sample, cacheDir, spec);
    if (r.computed) computed++;
    regions += r.map.count;
    onProgress?.({ done: i + 1, total: ds.samples.length, sampleId: sample.id, computed: r.computed, regions: r.map.count });
    await new Promise<void>((res) => setImmediate(res));
  }
  const total = ds.samples.length;
  return { cacheDir, total, computed, reused: total - computed, meanRegions: total ? regions / total : 0, seconds: (performance.now() - t0) / 1000 };
}
