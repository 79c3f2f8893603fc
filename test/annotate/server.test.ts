// The annotation server's HTTP API, without a browser: it binds to loopback, serves the page and a
// round's pictures by query number only, refuses malformed answers with a 4xx and the reason, and
// writes every answer (and undo) to answers/round-<r>.json before it replies. Only its own page may
// read and write: requests without the token, writes from another origin or not in JSON are refused.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { answersFile, labelsFile } from '../../src/run/human/queries.js';
import { startAnnotationServer, type AnnotationServer } from '../../src/annotate/server.js';
import { tempDir } from '../data/fixtures.js';
import { runWithQueries } from '../run/human/fixtures.js';

const servers: AnnotationServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

async function start(dir: string, round?: number) {
  const s = await startAnnotationServer({ dir, round });
  servers.push(s);
  return s;
}

/** The page's origin and token, taken from the URL the server prints. */
function page(s: AnnotationServer) {
  const u = new URL(s.url);
  return { origin: u.origin, token: u.searchParams.get('token')! };
}

/** A write as the page sends it: JSON, from the page's origin, with the token header. */
const post = (s: AnnotationServer, path: string, body: string) =>
  fetch(`${page(s).origin}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: page(s).origin, 'x-alseg-token': page(s).token }, body });
/** A read as the page makes it: the state with the token header, pages and pictures with it in the URL. */
const get = (s: AnnotationServer, path: string) =>
  path.startsWith('api/') ? fetch(`${page(s).origin}/${path}`, { headers: { 'x-alseg-token': page(s).token } }) : fetch(`${page(s).origin}/${path}?token=${page(s).token}`);

describe('alseg annotate server', () => {
  it('serves the page, the state and the pictures; answers go to disk at once; undo takes the last', async () => {
    const dir = runWithQueries(3);
    const s = await start(dir);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{22}$/);
    expect(s.round).toBe(3);
    const html = await fetch(s.url);
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    expect(await html.text()).toContain('<script src="/app.js"></script>');
    expect(await (await fetch(`${page(s).origin}/app.js`)).text()).toContain("api('POST', '/api/answer'");
    const state = (await (await get(s, 'api/state')).json()) as { round: number; mode: string; queries: unknown[]; classes: { name: string }[] };
    expect([state.round, state.mode, state.queries.length, state.classes.map((c) => c.name)]).toEqual([3, 'multi', 3, ['sky', 'road', 'car']]);
    const pic = await get(s, 'query/2-context.png');
    expect(pic.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await pic.arrayBuffer())).toEqual(readFileSync(join(dir, 'queries', 'round-3', 'q2-context.png')));

    const ok = await post(s, `api/answer`, JSON.stringify({ id: 1, classes: [2, 0], seconds: 3.25 }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ id: 1, answered: 1, total: 3 });
    await post(s, `api/answer`, JSON.stringify({ id: 0, unsure: true, seconds: 1 }));
    const saved = JSON.parse(readFileSync(answersFile(dir, 3), 'utf8'));
    expect(saved.order).toEqual([1, 0]);
    expect(saved.answers['1']).toMatchObject({ classes: [0, 2], unsure: false, seconds: 3.25 });
    expect(saved.answers['0']).toMatchObject({ classes: [], unsure: true });

    expect(await (await post(s, `api/undo`, '')).json()).toMatchObject({ id: 0, answered: 1 });
    expect(JSON.parse(readFileSync(answersFile(dir, 3), 'utf8')).order).toEqual([1]);
    await post(s, `api/undo`, '');
    const none = await post(s, `api/undo`, '');
    expect([none.status, await none.json()]).toEqual([409, { error: 'nothing to undo' }]);

    // A restarted server continues from the file.
    await post(s, `api/answer`, JSON.stringify({ id: 2, classes: [1] }));
    const again = await start(dir);
    const st = (await (await get(again, 'api/state')).json()) as { order: number[] };
    expect(st.order).toEqual([2]);
    // After train --resume has read them, answers no longer change.
    mkdirSync(join(dir, 'labels'));
    writeFileSync(labelsFile(dir, 3), '[]');
    const late = await post(again, `api/undo`, '');
    expect([late.status, ((await late.json()) as { error: string }).error]).toEqual([409, `round 3 is already labelled (${labelsFile(dir, 3)}); answers can no longer change`]);
  });

  it('refuses malformed answers, unknown paths and other hosts with a 4xx and the reason', async () => {
    const dir = runWithQueries(1);
    const s = await start(dir);
    const refused = async (body: string, status: number, error: string | RegExp) => {
      const r = await post(s, `api/answer`, body);
      expect(r.status).toBe(status);
      expect(((await r.json()) as { error: string }).error).toMatch(error);
    };
    await refused(JSON.stringify({ id: 9, classes: [0] }), 404, 'unknown query 9: round 1 has queries 0..2');
    await refused(JSON.stringify({ id: 0, classes: [3] }), 400, 'class 3 is out of range: the classes are 0..2');
    await refused(JSON.stringify({ id: 0, classes: [] }), 400, /empty multi-class answer/);
    await refused('{"id": 0,', 400, /the answer is not valid JSON/);
    await refused(JSON.stringify({ id: 0, classes: [0], pad: 'x'.repeat(70_000) }), 413, /at most 65536 bytes/);
    expect(existsSync(answersFile(dir, 1))).toBe(false);

    for (const path of ['query/7.png', 'query/..%2Fconfig.json', 'config.json', 'queries/round-1.json', 'query/0.json']) {
      const r = await get(s, path);
      expect(r.status, path).toBe(404);
      expect(await r.text()).not.toContain('secret');
    }
    expect((await get(s, 'api/answer')).status).toBe(405);
    // A page of another site whose name resolves to 127.0.0.1 (DNS rebinding) sends its own Host.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request(`${page(s).origin}/api/state`, { headers: { host: 'attacker.example', 'x-alseg-token': page(s).token } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject).end();
    });
    expect(status).toBe(403);
  });

  it('takes writes only from its page: JSON, from its origin, with its token; reads need the token', async () => {
    const dir = runWithQueries(1);
    const s = await start(dir);
    const { origin, token } = page(s);
    const answer = JSON.stringify({ id: 0, classes: [1] });
    const refused = async (what: string, path: string, headers: Record<string, string>, status: number, error: string | RegExp) => {
      const r = await fetch(`${origin}/${path}`, { method: 'POST', headers, body: answer });
      expect(r.status, what).toBe(status);
      expect(((await r.json()) as { error: string }).error, what).toMatch(error);
    };
    const json = { 'content-type': 'application/json' };
    // The attack: another site's page posts a "simple" cross-origin request (no preflight).
    await refused('foreign origin, text/plain', 'api/answer', { origin: 'http://evil.example', 'content-type': 'text/plain' }, 403, `Origin "http://evil.example" is not ${origin}`);
    // Each check on its own, the other two satisfied.
    await refused('foreign origin', 'api/answer', { ...json, origin: 'http://evil.example', 'x-alseg-token': token }, 403, /Origin "http:\/\/evil\.example" is not/);
    await refused('origin of another port', 'api/answer', { ...json, origin: 'http://127.0.0.1:1', 'x-alseg-token': token }, 403, /Origin "http:\/\/127\.0\.0\.1:1" is not/);
    await refused('no origin', 'api/answer', { ...json, 'x-alseg-token': token }, 403, /no Origin header/);
    await refused('no token', 'api/answer', { ...json, origin }, 403, /no token: the x-alseg-token header must carry/);
    await refused('wrong token', 'api/answer', { ...json, origin, 'x-alseg-token': `${token.slice(1)}x` }, 403, /wrong token in the x-alseg-token header/);
    await refused('text/plain', 'api/answer', { origin, 'x-alseg-token': token, 'content-type': 'text/plain' }, 415, 'Content-Type must be application/json, got "text/plain"');
    await refused('form', 'api/answer', { origin, 'x-alseg-token': token, 'content-type': 'application/x-www-form-urlencoded' }, 415, /Content-Type must be application\/json/);
    await refused('undo from another site', 'api/undo', { origin: 'http://evil.example', 'content-type': 'text/plain' }, 403, /is not/);
    expect(existsSync(answersFile(dir, 1))).toBe(false);
    // A browser asks first (CORS preflight) before a cross-origin JSON or custom-header request: never granted.
    const preflight = await fetch(`${origin}/api/answer`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-alseg-token' } });
    expect([preflight.status, preflight.headers.get('access-control-allow-origin'), preflight.headers.get('access-control-allow-headers')]).toEqual([405, null, null]);
    // The page's own request passes, with or without a charset.
    const ok = await fetch(`${origin}/api/answer`, { method: 'POST', headers: { origin, 'x-alseg-token': token, 'content-type': 'application/json; charset=utf-8' }, body: answer });
    expect(ok.status).toBe(200);
    expect(JSON.parse(readFileSync(answersFile(dir, 1), 'utf8')).order).toEqual([0]);

    // Reads: the page and its pictures carry the token in the URL, the state in the header.
    for (const path of ['', 'query/0.png', 'query/0-context.png']) {
      expect((await fetch(`${origin}/${path}`)).status, path).toBe(403);
      expect((await fetch(`${origin}/${path}?token=nope`)).status, path).toBe(403);
      expect((await fetch(`${origin}/${path}?token=${token}`)).status, path).toBe(200);
    }
    const state = await fetch(`${origin}/api/state`);
    expect([state.status, ((await state.json()) as { error: string }).error]).toEqual([403, 'no token: the x-alseg-token header must carry the token of the address "alseg annotate" printed']);
    expect((await fetch(`${origin}/api/state?token=${token}`)).status).toBe(403);
    // Another server (a restart) has another token: the old address no longer works.
    const other = await start(dir);
    expect(page(other).token).not.toBe(token);
    expect((await fetch(`${page(other).origin}/?token=${token}`)).status).toBe(403);
  });

  it('says what to do when there is nothing to answer', async () => {
    const empty = tempDir('annotate');
    await expect(startAnnotationServer({ dir: empty })).rejects.toThrow(`${empty}: no queries to answer`);
    const dir = runWithQueries(2);
    await expect(startAnnotationServer({ dir, round: 1 })).rejects.toThrow(/round 1 has no queries; rounds with queries: 2/);
    mkdirSync(join(dir, 'labels'));
    writeFileSync(labelsFile(dir, 2), '[]');
    await expect(startAnnotationServer({ dir })).rejects.toThrow(/round 2 is already labelled; continue the run with: node dist\/cli.js train --resume/);
  });
});
