// The annotation server's HTTP API, without a browser: it binds to loopback, serves the page and a
// round's pictures by query number only, refuses malformed answers with a 4xx and the reason, and
// writes every answer (and undo) to answers/round-<r>.json before it replies.
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

const post = (url: string, body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('alseg annotate server', () => {
  it('serves the page, the state and the pictures; answers go to disk at once; undo takes the last', async () => {
    const dir = runWithQueries(3);
    const s = await start(dir);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(s.round).toBe(3);
    const page = await fetch(s.url);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('<script src="/app.js"></script>');
    expect(await (await fetch(`${s.url}app.js`)).text()).toContain("api('POST', '/api/answer'");
    const state = (await (await fetch(`${s.url}api/state`)).json()) as { round: number; mode: string; queries: unknown[]; classes: { name: string }[] };
    expect([state.round, state.mode, state.queries.length, state.classes.map((c) => c.name)]).toEqual([3, 'multi', 3, ['sky', 'road', 'car']]);
    const pic = await fetch(`${s.url}query/2-context.png`);
    expect(pic.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await pic.arrayBuffer())).toEqual(readFileSync(join(dir, 'queries', 'round-3', 'q2-context.png')));

    const ok = await post(`${s.url}api/answer`, JSON.stringify({ id: 1, classes: [2, 0], seconds: 3.25 }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ id: 1, answered: 1, total: 3 });
    await post(`${s.url}api/answer`, JSON.stringify({ id: 0, unsure: true, seconds: 1 }));
    const saved = JSON.parse(readFileSync(answersFile(dir, 3), 'utf8'));
    expect(saved.order).toEqual([1, 0]);
    expect(saved.answers['1']).toMatchObject({ classes: [0, 2], unsure: false, seconds: 3.25 });
    expect(saved.answers['0']).toMatchObject({ classes: [], unsure: true });

    expect(await (await post(`${s.url}api/undo`, '')).json()).toMatchObject({ id: 0, answered: 1 });
    expect(JSON.parse(readFileSync(answersFile(dir, 3), 'utf8')).order).toEqual([1]);
    await post(`${s.url}api/undo`, '');
    const none = await post(`${s.url}api/undo`, '');
    expect([none.status, await none.json()]).toEqual([409, { error: 'nothing to undo' }]);

    // A restarted server continues from the file.
    await post(`${s.url}api/answer`, JSON.stringify({ id: 2, classes: [1] }));
    const again = await start(dir);
    const st = (await (await fetch(`${again.url}api/state`)).json()) as { order: number[] };
    expect(st.order).toEqual([2]);
    // After train --resume has read them, answers no longer change.
    mkdirSync(join(dir, 'labels'));
    writeFileSync(labelsFile(dir, 3), '[]');
    const late = await post(`${again.url}api/undo`, '');
    expect([late.status, ((await late.json()) as { error: string }).error]).toEqual([409, `round 3 is already labelled (${labelsFile(dir, 3)}); answers can no longer change`]);
  });

  it('refuses malformed answers, unknown paths and other hosts with a 4xx and the reason', async () => {
    const dir = runWithQueries(1);
    const s = await start(dir);
    const refused = async (body: string, status: number, error: string | RegExp) => {
      const r = await post(`${s.url}api/answer`, body);
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
      const r = await fetch(`${s.url}${path}`);
      expect(r.status, path).toBe(404);
      expect(await r.text()).not.toContain('secret');
    }
    expect((await fetch(`${s.url}api/answer`)).status).toBe(405);
    // A page of another site whose name resolves to 127.0.0.1 (DNS rebinding) sends its own Host.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request(`${s.url}api/state`, { headers: { host: 'attacker.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject).end();
    });
    expect(status).toBe(403);
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
