// A user study (study.ts) as the annotation page answers it: each annotator, named in the page's
// address (?annotator=<name>), gets every region of the study once, half of them as dominant-class
// queries and half as multi-class ones (studyForm), the halves in the study's order. An annotator
// takes the next parity when first seen (the 1st, 3rd, ... one parity 0; the 2nd, 4th, ... parity
// 1), recorded in their answer file, which is rewritten atomically before each reply:
//   answers/study-<name>.json   { annotator, parity, answers: { <id>: answer and its form }, order }
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Labelling } from '../al/config.js';
import type { AnswerBook } from './answer-book.js';
import { studyForm, studyImageDir, readStudy, type StudyFile } from './study.js';
import { AnswerError, validateAnswer, type Answer, type QueryFile } from '../run/human/queries.js';
import { readJson, writeJson } from '../run/run-directory.js';

/** The URL parameter that names the annotator. */
export const ANNOTATOR_PARAM = 'annotator';
const NAME = /^[A-Za-z0-9_-]{1,40}$/;

export interface StudyAnswer extends Answer {
  /** The form the query was asked in. */
  mode: Labelling;
}

export interface StudyAnswerFile {
  version: 1;
  annotator: string;
  parity: 0 | 1;
  answers: Record<string, StudyAnswer>;
  order: number[];
}

export const studyAnswersFile = (dir: string, annotator: string) => join(dir, 'answers', `study-${annotator}.json`);

/** Every annotator's answer file of a study, by name. */
export function readStudyAnswers(dir: string): StudyAnswerFile[] {
  const folder = dirname(studyAnswersFile(dir, 'x'));
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((f) => /^study-[A-Za-z0-9_-]+\.json$/.test(f))
    .sort()
    .map((f) => {
      const file = join(folder, f);
      const a = readJson<StudyAnswerFile>(file);
      if (a.version !== 1 || typeof a.annotator !== 'string' || (a.parity !== 0 && a.parity !== 1) || typeof a.answers !== 'object' || !Array.isArray(a.order)) {
        throw new Error(`${file}: not a study answer file written by alseg annotate`);
      }
      return a;
    });
}

/** The study's queries in one form for one parity, as a query file the answer rules read. */
function formQueries(study: StudyFile, parity: 0 | 1, mode: Labelling): QueryFile {
  const queries = study.regions.filter((r) => studyForm(r.half, parity) === mode);
  return { version: 1, round: 0, mode, classes: study.classes, offered: study.classes.map((_, c) => c), queries };
}

/** A study's books, one per annotator (opened when first asked for). */
export function openStudyBooks(dir: string): (annotator: string | null) => AnswerBook {
  const study = readStudy(dir);
  const books = new Map<string, AnswerBook>();
  const files = new Map(readStudyAnswers(dir).map((a) => [a.annotator, a]));
  const open = (name: string): AnswerBook => {
    let a = files.get(name);
    if (!a) {
      a = { version: 1, annotator: name, parity: (files.size % 2) as 0 | 1, answers: {}, order: [] };
      files.set(name, a);
      writeJson(studyAnswersFile(dir, name), a, 1);
    }
    const file = a;
    const parity = file.parity;
    const forms = { dominant: formQueries(study, parity, 'dominant'), multi: formQueries(study, parity, 'multi') };
    const formOf = (id: number) => studyForm(study.regions[id]!.half, parity);
    const reply = (id: number) => ({ id, answered: file.order.length, total: study.regions.length });
    const half = (h: 0 | 1) => `${studyForm(h, parity) === 'dominant' ? 'dominant-class' : 'multi-class'} labels`;
    return {
      state: () => ({
        title: `study \u00b7 ${name} \u00b7 first ${half(0)}, then ${half(1)}`,
        annotator: name,
        classes: study.classes,
        queries: study.regions.map((r) => ({ id: r.id, sample: r.sample, mode: formOf(r.id) })),
        answers: file.answers,
        order: file.order,
        done: `All ${study.regions.length} queries are answered. Thank you! (The study's table: node dist/cli.js report annotation --out ${dir})`,
      }),
      picture: (id, context) => (Number.isInteger(id) && id >= 0 && id < study.regions.length ? join(studyImageDir(dir), `q${id}${context ? '-context' : ''}.png`) : null),
      answer: (body) => {
        const id = (body as { id?: unknown } | null)?.id;
        if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= study.regions.length) {
          throw new AnswerError(404, `unknown query ${JSON.stringify(id)}: the study has queries 0..${study.regions.length - 1}`);
        }
        const mode = formOf(id);
        const { answer } = validateAnswer(forms[mode], body);
        file.answers[String(id)] = { ...answer, mode };
        file.order = [...file.order.filter((x) => x !== id), id];
        writeJson(studyAnswersFile(dir, name), file, 1);
        return reply(id);
      },
      undo: () => {
        const id = file.order.pop();
        if (id === undefined) throw new AnswerError(409, 'nothing to undo');
        delete file.answers[String(id)];
        writeJson(studyAnswersFile(dir, name), file, 1);
        return reply(id);
      },
    };
  };
  return (annotator) => {
    if (annotator === null || !NAME.test(annotator)) {
      throw new AnswerError(400, `${annotator === null ? 'no annotator' : `"${annotator}" is not an annotator name`}: a study's page address ends in &${ANNOTATOR_PARAM}=<name> (letters, digits, - and _)`);
    }
    let book = books.get(annotator);
    if (!book) books.set(annotator, (book = open(annotator)));
    return book;
  };
}
