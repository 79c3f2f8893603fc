// A run's round as the annotation page answers it: the queries `train --oracle human` wrote
// (run/human/queries.ts), each answer written atomically before the reply, so a closed browser or a
// killed server loses nothing. Once `train --resume` has turned the answers into labels, they can
// no longer change.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AnswerBook, PageState } from './answer-book.js';
import { AnswerError, labelsFile, queryImageDir, queryRounds, readAnswers, readQueries, validateAnswer, writeAnswers } from '../run/human/queries.js';

/** The round to answer: the one asked for, or the latest with queries, refused once it is labelled. */
function chooseRound(dir: string, asked?: number): number {
  const rounds = queryRounds(dir);
  if (rounds.length === 0) throw new Error(`${dir}: no queries to answer (queries/round-<r>.json); start a run with: node dist/cli.js train --oracle human --out ${dir}`);
  const round = asked ?? rounds[rounds.length - 1]!;
  if (!rounds.includes(round)) throw new Error(`${dir}: round ${round} has no queries; rounds with queries: ${rounds.join(', ')}`);
  if (existsSync(labelsFile(dir, round))) throw new Error(`${labelsFile(dir, round)}: round ${round} is already labelled; continue the run with: node dist/cli.js train --resume --out ${dir}`);
  return round;
}

export function openRoundBook(dir: string, asked?: number): AnswerBook & { round: number } {
  const round = chooseRound(dir, asked);
  const queries = readQueries(dir, round);
  const answers = readAnswers(dir, round);
  const ids = new Set(queries.queries.map((q) => q.id));
  const imgDir = queryImageDir(dir, round);
  const resume = `node dist/cli.js train --resume --out ${dir}`;
  const reply = (id: number) => ({ id, answered: answers.order.length, total: queries.queries.length });
  // Once train --resume has turned the answers into labels, changing them would change nothing.
  const open = () => {
    if (existsSync(labelsFile(dir, round))) throw new AnswerError(409, `round ${round} is already labelled (${labelsFile(dir, round)}); answers can no longer change`);
  };
  return {
    round,
    state: (): PageState => ({
      title: `round ${round} \u00b7 ${queries.mode === 'multi' ? 'multi-class labels' : 'dominant-class labels'}`,
      round,
      mode: queries.mode,
      classes: queries.classes,
      queries: queries.queries.map((q) => ({ id: q.id, sample: q.sample, mode: queries.mode, bbox: q.bbox, pixels: q.pixels })),
      answers: answers.answers,
      order: answers.order,
      done: `All ${queries.queries.length} queries of round ${round} are answered. Continue the run with:`,
      next: `${resume} (and the options the run was started with)`,
    }),
    picture: (id, context) => (ids.has(id) ? join(imgDir, `q${id}${context ? '-context' : ''}.png`) : null),
    answer: (body) => {
      open();
      const { id, answer } = validateAnswer(queries, body);
      answers.answers[String(id)] = answer;
      answers.order = [...answers.order.filter((x) => x !== id), id];
      writeAnswers(dir, answers);
      return reply(id);
    },
    undo: () => {
      open();
      const id = answers.order.pop();
      if (id === undefined) throw new AnswerError(409, 'nothing to undo');
      delete answers.answers[String(id)];
      writeAnswers(dir, answers);
      return reply(id);
    },
  };
}
