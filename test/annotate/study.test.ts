// A user study without a browser: drawing its regions (groups, halves, pictures, refusals) and the
// server's per-annotator books (names, parity, each query's form and its answer rules).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnnotationServer, type AnnotationServer } from '../../src/annotate/server.js';
import { createStudy, studyForm, type StudyFile } from '../../src/annotate/study.js';
import { DEFAULT_SYNTHETIC, ensureSyntheticDataset } from '../../src/data/synthetic.js';
import { tempDir } from '../data/fixtures.js';
import { writeImageFolder } from '../run/human/fixtures.js';

const base = tempDir('study');
const root = join(base, 'labelled');
const dir = join(base, 'study');
let study: StudyFile;
const servers: AnnotationServer[] = [];

beforeAll(async () => {
  ensureSyntheticDataset(root, { ...DEFAULT_SYNTHETIC, splits: { train: 3, val: 0 }, height: 96, width: 192 });
  study = await createStudy({ dir, perGroup: 2, dataset: 'synthetic', root });
});
afterAll(async () => {
  for (const s of servers) await s.close();
});

describe('annotate --study', () => {
  it('draws n regions of each group without void, in two halves of the same make-up, with pictures', async () => {
    expect(study.regions).toHaveLength(6);
    expect(study.dataset).toEqual({ kind: 'synthetic', root, split: 'train' });
    for (const h of [0, 1]) expect(study.regions.filter((r) => r.half === h).map((r) => r.truth.length).sort()).toEqual([1, 2, 3]);
    for (const r of study.regions) {
      expect(r.truth).toContain(r.dominant);
      expect(existsSync(join(dir, 'queries', 'study', `q${r.id}.png`))).toBe(true);
      expect(existsSync(join(dir, 'queries', 'study', `q${r.id}-context.png`))).toBe(true);
    }
    expect([studyForm(0, 0), studyForm(1, 0), studyForm(0, 1), studyForm(1, 1)]).toEqual(['dominant', 'multi', 'multi', 'dominant']);
    // The same request keeps the study; another one is refused, naming both.
    expect((await createStudy({ dir, perGroup: 2, dataset: 'synthetic', root })).regions).toEqual(study.regions);
    await expect(createStudy({ dir, perGroup: 3, dataset: 'synthetic', root })).rejects.toThrow(/the study there was made with .*"perGroup":2.*not .*"perGroup":3/);
  });

  it('refuses a folder in use, unlabelled images, and a bad count, writing nothing', async () => {
    const used = join(base, 'used');
    mkdirSync(used);
    writeFileSync(join(used, 'notes.txt'), 'mine');
    await expect(createStudy({ dir: used, perGroup: 1, dataset: 'synthetic', root })).rejects.toThrow(`${used} is not empty`);
    const photos = writeImageFolder(join(base, 'photos'), { count: 2 });
    const fresh = join(base, 'fresh');
    await expect(createStudy({ dir: fresh, perGroup: 1, dataset: 'folder', root: photos, split: 'train' })).rejects.toThrow(/the train split has no labels; a study needs ground truth \(a folder's labelled split is val\/\)/);
    await expect(createStudy({ dir: fresh, perGroup: 0, dataset: 'synthetic', root })).rejects.toThrow(/regions per group must be a whole number from 1/);
    expect(existsSync(fresh)).toBe(false);
    expect(readdirSync(used)).toEqual(['notes.txt']);
  });

  it('serves each annotator their forms: names checked, parity by arrival, answers by each query\'s rules', async () => {
    await expect(startAnnotationServer({ dir, round: 1 })).rejects.toThrow(/holds a user study .* drop --round/);
    const s = await startAnnotationServer({ dir });
    servers.push(s);
    expect(s.round).toBeNull();
    const { origin, searchParams } = new URL(s.url);
    const token = searchParams.get('token')!;
    const state = (who: string) => fetch(`${origin}/api/state?annotator=${who}`, { headers: { 'x-alseg-token': token } });
    const post = (who: string, body: unknown) => fetch(`${origin}/api/answer?annotator=${who}`, { method: 'POST', headers: { origin, 'x-alseg-token': token, 'content-type': 'application/json' }, body: JSON.stringify(body) });

    const anonymous = await fetch(`${origin}/api/state`, { headers: { 'x-alseg-token': token } });
    expect([anonymous.status, ((await anonymous.json()) as { error: string }).error]).toEqual([400, expect.stringMatching(/no annotator: a study's page address ends in &annotator=<name>/)]);
    expect((await state('..%2Fx')).status).toBe(400);
    expect((await state('a b')).status).toBe(400);
    // Pictures are the study's, for any annotator named.
    expect((await fetch(`${origin}/query/5.png?token=${token}&annotator=alice`)).status).toBe(200);
    expect((await fetch(`${origin}/query/6.png?token=${token}&annotator=alice`)).status).toBe(404);

    const forms = async (who: string) => ((await (await state(who)).json()) as { queries: { id: number; mode: string }[] }).queries.map((q) => q.mode);
    expect(await forms('alice')).toEqual(['dominant', 'dominant', 'dominant', 'multi', 'multi', 'multi']);
    expect(await forms('bob')).toEqual(['multi', 'multi', 'multi', 'dominant', 'dominant', 'dominant']);
    expect(await forms('carol')).toEqual(await forms('alice'));
    // Query 0 is a dominant query for alice (one class only), a multi-class one for bob.
    const two = study.regions[0]!.truth.length > 1 ? study.regions[0]!.truth.slice(0, 2) : [0, 1];
    const refused = await post('alice', { id: 0, classes: two, seconds: 1 });
    expect([refused.status, ((await refused.json()) as { error: string }).error]).toEqual([400, 'a dominant-class answer names one class, got 2']);
    expect((await post('bob', { id: 0, classes: two, seconds: 2 })).status).toBe(200);
    expect((await post('bob', { id: 6, classes: [0] })).status).toBe(404);
    expect((await post('alice', { id: 0, classes: [two[0]], seconds: 1.5 })).status).toBe(200);
    const saved = (who: string) => JSON.parse(readFileSync(join(dir, 'answers', `study-${who}.json`), 'utf8')) as { parity: number; answers: Record<string, { classes: number[]; mode: string }>; order: number[] };
    expect(saved('alice')).toMatchObject({ parity: 0, order: [0], answers: { 0: { classes: [two[0]], mode: 'dominant' } } });
    expect(saved('bob')).toMatchObject({ parity: 1, order: [0], answers: { 0: { classes: [...two].sort((a, b) => a - b), mode: 'multi' } } });
    expect(saved('carol').parity).toBe(0);
    expect(readdirSync(join(dir, 'answers')).sort()).toEqual(['study-alice.json', 'study-bob.json', 'study-carol.json']);
    // Undo is per annotator; a restarted server keeps each one's parity.
    const undo = await fetch(`${origin}/api/undo?annotator=bob`, { method: 'POST', headers: { origin, 'x-alseg-token': token, 'content-type': 'application/json' }, body: '{}' });
    expect(await undo.json()).toEqual({ id: 0, answered: 0, total: 6 });
    expect(saved('alice').order).toEqual([0]);
    const again = await startAnnotationServer({ dir });
    servers.push(again);
    const t2 = new URL(again.url).searchParams.get('token')!;
    const bob = (await (await fetch(`${new URL(again.url).origin}/api/state?annotator=bob`, { headers: { 'x-alseg-token': t2 } })).json()) as { queries: { mode: string }[] };
    expect(bob.queries[0]!.mode).toBe('multi');
  });
});
