// `alseg annotate`: a small HTTP server on the loopback interface for answering queries in a
// browser: a run's round (round-book.ts) or, for a user study, each annotator's share of the study's
// regions (study-book.ts). It serves the page, its script, the query pictures and a JSON API:
//   GET  /api/state                  the title, classes, queries (each with its form) and answers so far
//   GET  /query/<id>.png             the window around query <id>'s region, outlined
//   GET  /query/<id>-context.png     the whole image, the window marked
//   POST /api/answer                 { id, classes, unsure, seconds } -> 200, or 4xx { error }
//   POST /api/undo                   forgets the last answer -> { id }, or 409 when there is none
// In a study every request also names its annotator (?annotator=<name>). A request names queries
// only by number; picture paths are built by the book from its query list, so nothing a request
// carries reaches the file system.
// Only the page this server serves may read or write (see access.ts): the URL `annotate` prints
// carries a secret token, the page sends it back, and a write must also come from the page's own
// origin as JSON.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { annotationPage, annotationScript } from './page.js';
import { AccessError, checkHost, checkToken, checkWrite, newToken, TOKEN_HEADER, TOKEN_PARAM } from './access.js';
import type { AnswerBook } from './answer-book.js';
import { openRoundBook } from './round-book.js';
import { studyFile } from './study.js';
import { ANNOTATOR_PARAM, openStudyBooks } from './study-book.js';
import { AnswerError } from '../run/human/queries.js';

export interface AnnotationServer {
  /** The page's address, with the token that lets it read and write (a study's annotators add &annotator=<name>). */
  url: string;
  /** The secret the page carries (in the URL) and sends back with each request. */
  token: string;
  /** The round served, or null for a study. */
  round: number | null;
  close(): Promise<void>;
}

/** Answers are a few hundred bytes; anything much larger is not one. */
const MAX_BODY = 64 * 1024;

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // frame-ancestors: no other page may show this one in a frame (and click on it unseen).
    'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
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
  const study = existsSync(studyFile(dir));
  if (study && o.round !== undefined) throw new Error(`${dir} holds a user study (study.json), not a run's rounds: drop --round`);
  const round = study ? null : openRoundBook(dir, o.round);
  const books = study ? openStudyBooks(dir) : null;
  const bookFor = (url: URL): AnswerBook => (books ? books(url.searchParams.get(ANNOTATOR_PARAM)) : round!);
  const token = newToken();
  let port = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // Only pages opened as this server (not another site's name resolving to 127.0.0.1) may talk to it.
    checkHost(req, port);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const pic = /^\/query\/(\d{1,6})(-context)?\.png$/.exec(path);
    const writes = path === '/api/answer' || path === '/api/undo';
    if (!writes && !pic && !['/', '/app.js', '/api/state'].includes(path)) return json(res, 404, { error: `no such page: ${path}` });
    const allowed = writes ? req.method === 'POST' : req.method === 'GET' || req.method === 'HEAD';
    if (!allowed) return json(res, 405, { error: `${req.method} is not allowed on ${path}` });
    // The script holds no data; everything else needs the token, and a write the page's origin.
    if (path === '/' || pic) checkToken(url.searchParams.get(TOKEN_PARAM), token, 'the address');
    else if (path === '/api/state') checkToken(req.headers[TOKEN_HEADER], token, `the ${TOKEN_HEADER} header`);
    else if (writes) checkWrite(req, port, token);
    if (path === '/') return send(res, 200, 'text/html; charset=utf-8', annotationPage());
    if (path === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', annotationScript());
    const book = bookFor(url);
    if (path === '/api/state') return json(res, 200, book.state());
    if (pic) {
      const file = book.picture(Number(pic[1]), pic[2] !== undefined);
      if (!file) return json(res, 404, { error: `unknown query ${Number(pic[1])}` });
      return send(res, 200, 'image/png', readFileSync(file));
    }
    if (path === '/api/undo') return json(res, 200, book.undo());
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (e) {
      if (e instanceof AnswerError) throw e;
      throw new AnswerError(400, `the answer is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    return json(res, 200, book.answer(body));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof AnswerError || e instanceof AccessError) json(res, e.status, { error: e.message });
      else json(res, 500, { error: e instanceof Error ? e.message : String(e) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?${TOKEN_PARAM}=${token}`,
    token,
    round: round ? round.round : null,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A browser keeps idle connections open; they would hold close() until they time out.
        server.closeAllConnections();
      }),
  };
}
