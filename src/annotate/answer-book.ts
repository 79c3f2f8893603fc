// What the annotation server serves, whatever is being answered: a run's round (round-book.ts) or
// one annotator's part of a user study (study-book.ts). The server (server.ts) handles HTTP and who
// may talk to it; a book says what to show, where each picture is, and records answers.
import type { Labelling } from '../al/config.js';

/** One query as the page shows it. */
export interface PageQuery {
  id: number;
  sample: string;
  /** The form it is asked in: all classes inside the outline, or the one covering most of it. */
  mode: Labelling;
}

/** What the page reads from /api/state. */
export interface PageState {
  /** The header's line: what is being answered. */
  title: string;
  classes: { name: string; colour: [number, number, number] }[];
  queries: PageQuery[];
  answers: Record<string, { classes: number[]; unsure: boolean; seconds: number }>;
  order: number[];
  /** What to tell the person once every query is answered, and a command to run next, if any. */
  done: string;
  next?: string;
  /** Extra fields a book adds for its own readers (a round's number and mode). */
  [key: string]: unknown;
}

/** The reply to an answer or an undo. */
export interface AnswerReply {
  id: number;
  answered: number;
  total: number;
}

export interface AnswerBook {
  state(): PageState;
  /** The picture of a query (its window, or the whole image), or null for an unknown query. */
  picture(id: number, context: boolean): string | null;
  /** Records one answer as the page sends it; throws an AnswerError (run/human/queries.ts) when refused. */
  answer(body: unknown): AnswerReply;
  /** Forgets the last answer; throws an AnswerError when there is none. */
  undo(): AnswerReply;
}
