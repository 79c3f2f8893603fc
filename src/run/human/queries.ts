// The files a round with a human oracle leaves in the run directory, and the rules of an answer.
//   queries/round-<r>.json            what to ask: per query the image, region, bounding box and the
//                                     window shown, plus the classes offered and the mode
//   queries/round-<r>/q<id>.png       the window around the region with its outline (crops.ts)
//   queries/round-<r>/q<id>-context.png  the whole image, the window marked
//   answers/round-<r>.json            the person's answers so far, rewritten atomically per answer
// An answer costs clicks as the simulated oracle's does (oracle.ts): one per class in multi-class
// mode, one in dominant mode; "unsure" costs none and leaves the region unlabelled (mask 0), like a
// region the simulated oracle finds only ignored pixels in.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../data/atomic-write.js';
import type { Labelling } from '../../al/config.js';
import type { LabelledRegion } from '../../al/pool.js';
import { readJson, RunDirectory } from '../run-directory.js';

export interface Query {
  /** 0..n-1 within the round: the only handle the annotation page has on a query. */
  id: number;
  /** Index of the image in the training split, and its sample id. */
  image: number;
  sample: string;
  region: number;
  /** Region's bounding box, inclusive-exclusive: [x0, y0, x1, y1] in image pixels. */
  bbox: [number, number, number, number];
  pixels: number;
  /** The square of the image the crop shows: top-left corner and side, in image pixels. */
  window: { x: number; y: number; size: number };
}

export interface QueryFile {
  version: 1;
  round: number;
  mode: Labelling;
  classes: { name: string; colour: [number, number, number] }[];
  /** Class indices offered as answers (all of classes.json). */
  offered: number[];
  queries: Query[];
}

export interface Answer {
  /** Chosen class indices, ascending; empty when unsure. */
  classes: number[];
  unsure: boolean;
  /** Seconds the person spent on the query (from showing it to answering). */
  seconds: number;
  answeredAt: string;
}

export interface AnswerFile {
  version: 1;
  round: number;
  answers: Record<string, Answer>;
  /** Query ids in the order they were answered (undo takes the last). */
  order: number[];
}

/** A malformed or refused answer: the HTTP status the server replies with, and why. */
export class AnswerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'AnswerError';
  }
}

export const queriesFile = (dir: string, round: number) => join(dir, 'queries', `round-${round}.json`);
export const queryImageDir = (dir: string, round: number) => join(dir, 'queries', `round-${round}`);
export const answersFile = (dir: string, round: number) => join(dir, 'answers', `round-${round}.json`);
export const labelsFile = (dir: string, round: number) => new RunDirectory(dir).labels(round);

export function readQueries(dir: string, round: number): QueryFile {
  const file = queriesFile(dir, round);
  const q = readJson<QueryFile>(file);
  if (q.version !== 1 || !Array.isArray(q.queries) || !Array.isArray(q.classes) || (q.mode !== 'multi' && q.mode !== 'dominant')) {
    throw new Error(`${file}: not a query file written by alseg train --oracle human`);
  }
  return q;
}

export function writeQueries(dir: string, q: QueryFile): void {
  writeFileAtomic(queriesFile(dir, q.round), JSON.stringify(q, null, 1));
}

export function readAnswers(dir: string, round: number): AnswerFile {
  const file = answersFile(dir, round);
  if (!existsSync(file)) return { version: 1, round, answers: {}, order: [] };
  const a = readJson<AnswerFile>(file);
  if (a.version !== 1 || typeof a.answers !== 'object' || a.answers === null || !Array.isArray(a.order)) throw new Error(`${file}: not an answer file written by alseg annotate`);
  return a;
}

export function writeAnswers(dir: string, a: AnswerFile): void {
  writeFileAtomic(answersFile(dir, a.round), JSON.stringify(a, null, 1));
}

/** Rounds that have a query file, ascending. */
export function queryRounds(dir: string): number[] {
  const qdir = join(dir, 'queries');
  if (!existsSync(qdir)) return [];
  return readdirSync(qdir)
    .map((f) => /^round-(\d+)\.json$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/**
 * Checks one answer as the page sends it ({ id, classes, unsure, seconds }) against the round's
 * queries; returns it normalised or throws an AnswerError saying what is wrong.
 */
export function validateAnswer(q: QueryFile, body: unknown): { id: number; answer: Answer } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new AnswerError(400, 'an answer is a JSON object { "id", "classes", "unsure", "seconds" }');
  const { id, classes, unsure, seconds } = body as Record<string, unknown>;
  if (typeof id !== 'number' || !Number.isInteger(id)) throw new AnswerError(400, `"id" must be a query number, got ${JSON.stringify(id)}`);
  if (!q.queries.some((x) => x.id === id)) throw new AnswerError(404, `unknown query ${id}: round ${q.round} has queries 0..${q.queries.length - 1}`);
  if (unsure !== undefined && typeof unsure !== 'boolean') throw new AnswerError(400, '"unsure" must be true or false');
  if (seconds !== undefined && (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0 || seconds > 86400)) {
    throw new AnswerError(400, `"seconds" must be a number of seconds between 0 and 86400, got ${JSON.stringify(seconds)}`);
  }
  const list = classes ?? [];
  if (!Array.isArray(list)) throw new AnswerError(400, '"classes" must be a list of class numbers');
  for (const c of list) {
    if (typeof c !== 'number' || !Number.isInteger(c) || !q.offered.includes(c)) {
      throw new AnswerError(400, `class ${JSON.stringify(c)} is out of range: the classes are 0..${q.classes.length - 1}`);
    }
  }
  const chosen = [...new Set(list as number[])].sort((a, b) => a - b);
  if (unsure === true) {
    if (chosen.length > 0) throw new AnswerError(400, 'an "unsure" answer names no classes');
  } else if (chosen.length === 0) {
    throw new AnswerError(400, q.mode === 'multi' ? 'empty multi-class answer: choose at least one class, or answer "unsure"' : 'a dominant-class answer needs a class, or "unsure"');
  } else if (q.mode === 'dominant' && chosen.length > 1) {
    throw new AnswerError(400, `a dominant-class answer names one class, got ${chosen.length}`);
  }
  return { id, answer: { classes: chosen, unsure: unsure === true, seconds: typeof seconds === 'number' ? seconds : 0, answeredAt: new Date().toISOString() } };
}

/** Clicks an answer costs, as the simulated oracle counts them. */
export function answerClicks(a: Answer, mode: Labelling): number {
  if (a.unsure) return 0;
  return mode === 'multi' ? a.classes.length : 1;
}

/**
 * The round's labelled regions from a complete set of answers, or how many are still missing.
 * Every stored answer is checked again, so a hand-edited answer file fails here with its name.
 */
export function labelsFromAnswers(dir: string, round: number): { records: LabelledRegion[] } | { answered: number; total: number } {
  const q = readQueries(dir, round);
  const a = readAnswers(dir, round);
  const answered = q.queries.filter((x) => a.answers[String(x.id)] !== undefined).length;
  if (answered < q.queries.length) return { answered, total: q.queries.length };
  const records = q.queries.map((x) => {
    let ans: Answer;
    try {
      ans = validateAnswer(q, { ...a.answers[String(x.id)], id: x.id }).answer;
    } catch (e) {
      throw new Error(`${answersFile(dir, round)}: query ${x.id}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const mask = ans.classes.reduce((m, c) => m | (1 << c), 0) >>> 0;
    return { image: x.image, region: x.region, mask, clicks: answerClicks(ans, q.mode), round };
  });
  return { records };
}
