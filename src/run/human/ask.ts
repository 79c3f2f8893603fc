// The loop's side of a human oracle (selection.ts): write a round's queries with their pictures, and
// turn a complete set of answers into labelled regions.
import { join } from 'node:path';
import type { RegionRef } from '../../al/acquisition.js';
import type { Labelling } from '../../al/config.js';
import { writeRgbPng } from '../../data/png.js';
import type { LabelledRegion, Pool } from '../../al/pool.js';
import { contextImage, queryWindow, regionBox, regionPatch } from './crops.js';
import { labelsFromAnswers, queriesFile, queryImageDir, writeQueries, type Query, type QueryFile } from './queries.js';

/** Thrown after a round's queries are written (or while some are unanswered): the run stops cleanly. */
export class AwaitingAnswersError extends Error {
  constructor(
    readonly dir: string,
    readonly round: number,
    readonly answered: number,
    readonly total: number,
  ) {
    super(`round ${round}: ${answered} of ${total} queries answered (${queriesFile(dir, round)})`);
    this.name = 'AwaitingAnswersError';
  }
}

/**
 * Clicks a query is expected to cost when choosing a round's regions: a person's answer is not
 * known in advance. Dominant answers cost 1; multi-class ones the mean of the answered (not
 * "unsure") regions so far, 1 before any.
 */
export function expectedClicks(pool: Pool, labelling: Labelling): number {
  if (labelling === 'dominant') return 1;
  const answered = pool.labelledRegions.filter((r) => r.clicks > 0);
  return answered.length ? answered.reduce((s, r) => s + r.clicks, 0) / answered.length : 1;
}

/** Writes queries/round-<r>.json and each query's two pictures. */
export function writeRoundQueries(dir: string, round: number, pool: Pool, selected: readonly RegionRef[], labelling: Labelling): QueryFile {
  const ds = pool.dataset;
  const imgDir = queryImageDir(dir, round);
  const queries: Query[] = [];
  // Grouped by image so each is decoded once; ids follow the selection order.
  const byImage = new Map<number, number[]>();
  selected.forEach((r, i) => byImage.set(r.image, [...(byImage.get(r.image) ?? []), i]));
  for (const [image, ids] of byImage) {
    const loaded = ds.load(ds.samples[image]!);
    const rgb = { width: loaded.width, height: loaded.height, data: loaded.image };
    const map = pool.images[image]!.map;
    for (const id of ids) {
      const region = selected[id]!.region;
      const { bbox, pixels } = regionBox(map, region);
      const window = queryWindow(bbox, map.width, map.height);
      writeRgbPng(join(imgDir, `q${id}.png`), regionPatch(rgb, map, region, window));
      writeRgbPng(join(imgDir, `q${id}-context.png`), contextImage(rgb, window));
      queries.push({ id, image, sample: ds.samples[image]!.id, region, bbox, pixels, window });
    }
  }
  queries.sort((a, b) => a.id - b.id);
  const classes = ds.classNames.map((name, c) => ({ name, colour: [ds.palette[3 * c]!, ds.palette[3 * c + 1]!, ds.palette[3 * c + 2]!] as [number, number, number] }));
  const file: QueryFile = { version: 1, round, mode: labelling, classes, offered: classes.map((_, c) => c), queries };
  writeQueries(dir, file);
  return file;
}

/** The round's labelled regions once every query is answered; otherwise an AwaitingAnswersError. */
export function answeredRegions(dir: string, round: number): LabelledRegion[] {
  const r = labelsFromAnswers(dir, round);
  if ('records' in r) return r.records;
  throw new AwaitingAnswersError(dir, round, r.answered, r.total);
}
