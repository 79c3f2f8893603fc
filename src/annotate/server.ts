// `alseg annotate`: a small HTTP server on the loopback interface for answering one round's
// queries in a browser. It serves the page, its script, the query pictures and a JSON API:
//   GET  /api/state                  the round, mode, classes, queries and answers so far
//   GET  /query/<id>.png             the window around query <id>'s region, outlined
//   GET  /query/<id>-context.png     the whole image, the window marked
//   POST /api/answer                 { id, classes, unsure, seconds } -> 200, or 4xx { error }
//   POST /api/undo                   forgets the last answer -> { id }, or 409 when there is none
// A request names queries only by number; picture paths are built here from the query list, so
// nothing a request carries reaches the file system. Each answer is written atomically before the
// reply, so a closed browser or a killed server loses nothing.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { annotationPage, annotationScript } from './page.js';
import { AnswerError, labelsFile, queryImageDir, queryRounds, readAnswers, readQueries, validateAnswer, writeAnswers } from '../run/human/queries.js';

export interface AnnotationServer {
  url: string;
  round: number;
  close(): Promise<void>;
}

/** Answers are a few hundred bytes; anything much larger is not one. */
const MAX_BODY = 64 * 1024;

/** The round to answer: the one asked for, or the latest with queries, refused once it is labelled. */
function chooseRound(dir: string, asked?: number): number {
  const rounds = queryRounds(dir);
  if (rounds.length === 0) throw new Error(`${dir}: no queries to answer (queries/round-<r>.json); start a run with: node dist/cli.js train --oracle human --out ${dir}`);
  const round = asked ?? rounds[rounds.length - 1]!;
  if (!rounds.includes(round)) throw new Error(`${dir}: round ${round} has no queries; rounds with queries: ${rounds.join(', ')}`);
  if (existsSync(labelsFile(dir, round))) throw new Error(`${labelsFile(dir, round)}: round ${round} is already labelled; continue the run with: node dist/cli.js train --resume --out ${dir}`);
  return round;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'",
  });
  res.end(body);
}

const json = (res: ServerResponse, status: number, v: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(v));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Past the limit the rest is read and dropped (memory stays bounded), so the 413 reaches the client.
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => (size > MAX_BODY ? reject(new AnswerError(413, `an answer is at most ${MAX_BODY} bytes`)) : resolve(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

export async function startAnnotationServer(o: { dir: string; round?: number; port?: number }): Promise<AnnotationServer> {
  const { dir } = o;
  const round = chooseRound(dir, o.round);
  const queries = readQueries(dir, round);
  const answers = readAnswers(dir, round);
  const ids = new Set(queries.queries.map((q) => q.id));
  const imgDir = queryImageDir(dir, round);
  let port = 0;

  const state = () => ({
    round,
    mode: queries.mode,
    classes: queries.classes,
    queries: queries.queries.map((q) => ({ id: q.id, sample: q.sample, bbox: q.bbox, pixels: q.pixels })),
    answers: answers.answers,
    order: answers.order,
    resume: `node dist/cli.js train --resume --out ${dir}`,
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // Only pages opened as this server (not another site's name resolving to 127.0.0.1) may talk to it.
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return json(res, 403, { error: `unexpected Host "${host}"` });
    const path = (req.url ?? '/').split('?')[0]!;
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (path === '/' && get) return send(res, 200, 'text/html; charset=utf-8', annotationPage());
    if (path === '/app.js' && get) return send(res, 200, 'text/javascript; charset=utf-8', annotationScript());
    if (path === '/api/state' && get) return json(res, 200, state());
    const pic = /^\/query\/(\d{1,6})(-context)?\.png$/.exec(path);
    if (pic && get) {
      const id = Number(pic[1]);
      if (!ids.has(id)) return json(res, 404, { error: `unknown query ${id}` });
      return send(res, 200, 'image/png', readFileSync(join(imgDir, `q${id}${pic[2] ?? ''}.png`)));
    }
    // Once train --resume has turned the answers into labels, changing them would change nothing.
    if (req.method === 'POST' && existsSync(labelsFile(dir, round))) {
      return json(res, 409, { error: `round ${round} is already labelled (${labelsFile(dir, round)}); answers can no longer change` });
    }
    if (path === '/api/answer' && req.method === 'POST') {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch (e) {
        if (e instanceof AnswerError) throw e;
        throw new AnswerError(400, `the answer is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
      }
      const { id, answer } = validateAnswer(queries, body);
      answers.answers[String(id)] = answer;
      answers.order = [...answers.order.filter((x) => x !== id), id];
      writeAnswers(dir, answers);
      return json(res, 200, { id, answered: answers.order.length, total: queries.queries.length });
    }
    if (path === '/api/undo' && req.method === 'POST') {
      const id = answers.order.pop();
      if (id === undefined) return json(res, 409, { error: 'nothing to undo' });
      delete answers.answers[String(id)];
      writeAnswers(dir, answers);
      return json(res, 200, { id, answered: answers.order.length, total: queries.queries.length });
    }
    const known = ['/', '/app.js', '/api/state', '/api/answer', '/api/undo'].includes(path) || pic;
    return json(res, known ? 405 : 404, { error: known ? `${req.method} is not allowed on ${path}` : `no such page: ${path}` });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof AnswerError) json(res, e.status, { error: e.message });
      else json(res, 500, { error: e instanceof Error ? e.message : String(e) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    round,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A browser keeps idle connections open; they would hold close() until they time out.
        server.closeAllConnections();
      }),
  };
}
