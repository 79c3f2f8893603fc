// A human oracle end to end, as a user runs it: `train --oracle human` on a folder of unlabelled
// images stops with the round's queries; `annotate` serves them on 127.0.0.1 and a real browser
// (headless Chromium driven by puppeteer-core) answers them with keys and clicks, reloading midway
// and undoing once; `train --resume` then trains on the answers. Checked: the labelled set and the
// clicks. Skipped, with the reason printed, where no Chromium is installed (scripts/setup.sh
// installs Debian's package). A second test answers a dominant-class round (one click per query).
// ALSEG_SCREENSHOT=<file.png> saves the page as it shows a query.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, REPO, runCli } from '../cli-process.js';
import { runWithQueries, streetScene, writeImageFolder } from '../run/human/fixtures.js';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/al/config.js';
import { openDataset } from '../../src/data/open-dataset.js';
import { writeGreyPng } from '../../src/data/png.js';
import { defaultSuperpixelCacheDir, loadRegions } from '../../src/superpixels/cache.js';
import { startAnnotationServer } from '../../src/annotate/server.js';

// ALSEG_CHROMIUM names the browser to use (and only that one).
const CANDIDATES = process.env.ALSEG_CHROMIUM ? [process.env.ALSEG_CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const chromium = CANDIDATES.find((p) => existsSync(p));
const reason = `no Chromium at ${CANDIDATES.join(', ')} (scripts/setup.sh installs Debian's chromium; or set ALSEG_CHROMIUM)`;
if (!chromium) console.warn(`test/e2e/human-oracle.test.ts skipped: ${reason}`);

const base = mkdtempSync(join(tmpdir(), 'alseg-human-'));
const root = writeImageFolder(join(base, 'imgs'), { count: 4 });
const run = join(base, 'run');
const train = ['train', '--dataset', 'folder', '--root', root, '--oracle', 'human', '--rounds', '2', '--budget', '6', '--iterations', '3', '--stage2-iterations', '2', '--batch', '2', '--crop', '48', '--visualise', '0', '--out', run];

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Starts `annotate` and resolves with the URL it prints. */
function annotate(): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolveUrl, reject) => {
    const child = spawn(process.execPath, [CLI, 'annotate', '--out', run, '--port', '0'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    const onData = (b: Buffer) => {
      output += b.toString();
      const m = /at (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)\s/.exec(output);
      if (m) resolveUrl({ child, url: m[1]! });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`annotate exited (${code}) before printing its URL:\n${output}`)));
  });
}

describe('human oracle: train, annotate in a browser, resume', () => {
  it.skipIf(!chromium)(`a round answered in headless Chromium trains with its answers${chromium ? '' : ` (skipped: ${reason})`}`, async () => {
    const first = await runCli(train);
    expect(first.code, first.output).toBe(0);
    expect(first.output).toMatch(/no labelled validation split .* evaluation skipped/);
    expect(first.output).toMatch(/round 1: 0 of 6 queries answered/);
    expect(first.output).toContain(`node dist/cli.js annotate --out ${run}`);

    const { child, url } = await annotate();
    const { default: puppeteer } = await import('puppeteer-core');
    // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1000, height: 660 });
      await page.goto(url);
      await page.waitForSelector('.cls');
      expect(await page.$$eval('.cls', (bs) => bs.map((b) => b.textContent))).toEqual(['sky1', 'road2', 'vegetation3', 'car4']);
      const where = () => page.$eval('#where', (e) => e.textContent ?? '');
      const progress = () => page.$eval('#progress', (e) => e.textContent ?? '');
      const showing = async (n: number) => page.waitForFunction((t) => document.querySelector('#where')?.textContent?.startsWith(t), {}, `query ${n} of 6`);
      await showing(1);
      await page.waitForFunction(() => (document.querySelector('#patch') as HTMLImageElement).complete && (document.querySelector('#patch') as HTMLImageElement).naturalWidth > 0);

      // Query 1: an empty multi-class answer is refused by the server and the page says why.
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => /empty multi-class answer/.test(document.querySelector('#error')?.textContent ?? ''));
      expect(await where()).toMatch(/^query 1 of 6/);
      // Keys pick classes (sky, road), Enter submits.
      await page.keyboard.press('1');
      await page.keyboard.press('2');
      await page.keyboard.press('Enter');
      await showing(2);
      // Query 2: mouse clicks on road and car, then Submit.
      await page.click('.cls[data-cls="1"]');
      await page.click('.cls[data-cls="3"]');
      await page.click('#submit');
      await showing(3);
      // Query 3: unsure.
      await page.keyboard.press('?');
      await showing(4);

      // The browser reloads: nothing is lost, the page goes on at query 4.
      await page.reload();
      await page.waitForSelector('.cls');
      await showing(4);
      expect(await progress()).toMatch(/^3 \/ 6 answered · \d+\.\d s per query$/);
      if (process.env.ALSEG_SCREENSHOT) {
        await page.waitForFunction(() => (document.querySelector('#patch') as HTMLImageElement).complete);
        // This query's region is a band of sky: sky is the answer shown selected.
        await page.keyboard.press('1');
        await new Promise((r) => setTimeout(r, 1500));
        await page.screenshot({ path: resolve(REPO, process.env.ALSEG_SCREENSHOT) });
        await page.keyboard.press('1');
      }
      // Query 4: vegetation, then undo and answer car instead.
      await page.keyboard.press('3');
      await page.keyboard.press('Enter');
      await showing(5);
      await page.keyboard.press('Backspace');
      await showing(4);
      expect(await progress()).toMatch(/^3 \/ 6 answered/);
      await page.keyboard.press('4');
      await page.keyboard.press('Enter');
      // Queries 5 and 6: road.
      for (const n of [5, 6]) {
        await showing(n);
        await page.keyboard.press('2');
        await page.keyboard.press('Enter');
      }
      await page.waitForSelector('#done code', { visible: true });
      expect(await page.$eval('#done', (e) => e.textContent)).toContain(`node dist/cli.js train --resume --out ${run}`);
      expect(await progress()).toMatch(/^6 \/ 6 answered/);
    } finally {
      await browser.close();
      child.kill('SIGTERM');
    }

    const answers = JSON.parse(readFileSync(join(run, 'answers', 'round-1.json'), 'utf8')) as { order: number[]; answers: Record<string, { classes: number[]; unsure: boolean; seconds: number }> };
    expect(answers.order).toEqual([0, 1, 2, 3, 4, 5]);
    expect([0, 1, 2, 3, 4, 5].map((i) => answers.answers[i]!.classes)).toEqual([[0, 1], [1, 3], [], [3], [1], [1]]);
    expect(answers.answers['2']!.unsure).toBe(true);
    for (const a of Object.values(answers.answers)) expect(a.seconds).toBeGreaterThan(0);

    const resumed = await runCli([...train, '--resume']);
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toMatch(/\[round 1\/2\] done: 7 clicks \(7 total, 6 regions/);
    expect(resumed.output).toMatch(/round 2: 0 of \d+ queries answered/);
    const queries = JSON.parse(readFileSync(join(run, 'queries', 'round-1.json'), 'utf8')) as { queries: { image: number; region: number }[] };
    const labels = JSON.parse(readFileSync(join(run, 'labels', 'round-1.json'), 'utf8')) as { image: number; region: number; mask: number; clicks: number; round: number }[];
    // One click per class, none for "unsure" (the region stays unlabelled: mask 0).
    expect(labels).toEqual(queries.queries.map((q, i) => ({ image: q.image, region: q.region, round: 1, mask: [3, 10, 0, 8, 2, 2][i], clicks: [2, 2, 0, 1, 1, 1][i] })));
    const metrics = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8')) as { rounds: { clicks: number; totalClicks: number; stage1: { miou: number | null } }[] };
    expect(metrics.rounds[0]).toMatchObject({ clicks: 7, totalClicks: 7, stage1: { miou: null } });
    expect(existsSync(join(run, 'checkpoints', 'round-1-stage2.safetensors'))).toBe(true);

    // The answers leave alseg: single-class regions in the label maps, the rest as candidate sets.
    const exported = await runCli(['export', '--out', run, '--format', 'png', '--no-predictions']);
    expect(exported.code, exported.output).toBe(0);
    expect(exported.output).toContain('5 labelled regions: 3 of one class (in the label maps), 2 with candidate sets');
    const candidates = JSON.parse(readFileSync(join(run, 'export', 'round-1-png', 'labels', 'candidates.json'), 'utf8')) as { images: { regions: { classes: number[]; names: string[] }[] }[] };
    expect(candidates.images.flatMap((i) => i.regions.map((r) => r.names)).sort()).toEqual([['road', 'car'], ['sky', 'road']]);
    const cityscapes = await runCli(['export', '--out', run, '--format', 'cityscapes']);
    expect([cityscapes.code, cityscapes.output]).toEqual([1, expect.stringContaining('Cityscapes label ids exist for the 19 Cityscapes classes only')]);

    // The cost of the answers: labels of another size are refused and nothing is written; without
    // ground truth the table groups by classes answered; with it, by the classes truly there.
    const small = join(base, 'truth-small');
    const truth = join(base, 'truth');
    for (let i = 0; i < 4; i++) {
      writeGreyPng(join(small, `street-${i}.png`), { width: 48, height: 32, data: streetScene(i, 32, 48).label });
      writeGreyPng(join(truth, `street-${i}.png`), { width: 96, height: 64, data: streetScene(i, 64, 96).label });
    }
    const wrong = await runCli(['report', 'annotation', '--out', run, '--truth', small]);
    expect([wrong.code, wrong.output]).toEqual([1, expect.stringMatching(/street-\d\.png: 48x32 labels for the run's 96x64 image street-\d: not the run's images/)]);
    expect(existsSync(join(run, 'annotation-cost.csv'))).toBe(false);
    const plain = await runCli(['report', 'annotation', '--out', run]);
    expect(plain.code, plain.output).toBe(0);
    expect(plain.output).toContain('grouped by the number of classes answered: no ground truth');
    const csv = (file: string) => readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    // Answers [sky, road], [road, car], unsure, [car], [road], [road].
    expect(csv(join(run, 'annotation-cost.csv')).map((r) => r.slice(0, 7))).toEqual([
      ['multi', '?', '1', '1', '1', expect.any(String), '0'],
      ['multi', '1', '3', '0', '1', expect.any(String), '3'],
      ['multi', '2', '2', '0', '1', expect.any(String), '4'],
      ['multi', 'all', '6', '1', '1', expect.any(String), '7'],
    ]);
    const scored = await runCli(['report', 'annotation', '--out', run, '--truth', truth]);
    expect(scored.code, scored.output).toBe(0);
    expect(scored.output).toContain('grouped by the number of classes truly in the region');
    // The Jaccard index of each answer against the classes its region holds, from the region maps here.
    const cfg = { ...DEFAULT_CONFIG, ...(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as RunConfig) };
    const pool = openDataset('folder', root, 'train');
    const cache = defaultSuperpixelCacheDir(pool, cfg.superpixels);
    const answered = [[0, 1], [1, 3], null, [3], [1], [1]];
    const scores = queries.queries.flatMap((q, i) => {
      const a = answered[i];
      if (!a) return [];
      const { map } = loadRegions(pool, pool.samples[q.image]!, cache, cfg.superpixels);
      const label = streetScene(q.image, 64, 96).label;
      const present = [...new Set(Array.from(map.ids.keys()).filter((p) => map.ids[p] === q.region).map((p) => label[p]!))];
      return [a.filter((c) => present.includes(c)).length / new Set([...a, ...present]).size];
    });
    const all = csv(join(run, 'annotation-cost.csv')).find((r) => r[1] === 'all')!;
    expect(Number(all[9])).toBeCloseTo(scores.reduce((x, y) => x + y, 0) / scores.length, 5);
  });

  it.skipIf(!chromium)(`dominant mode: one click or key answers, no submit button${chromium ? '' : ` (skipped: ${reason})`}`, async () => {
    const dir = runWithQueries(1, 'dominant');
    const server = await startAnnotationServer({ dir });
    const { default: puppeteer } = await import('puppeteer-core');
    const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.waitForSelector('.cls');
      expect(await page.$eval('#instruction', (e) => e.textContent)).toMatch(/the one class that covers most/);
      expect(await page.$eval('#submit', (e) => getComputedStyle(e).display)).toBe('none');
      const showing = async (n: number) => page.waitForFunction((t) => document.querySelector('#where')?.textContent?.startsWith(t), {}, `query ${n} of 3`);
      await showing(1);
      await page.click('.cls[data-cls="2"]');
      await showing(2);
      await page.keyboard.press('2');
      await showing(3);
      await page.keyboard.press('?');
      await page.waitForSelector('#done code', { visible: true });
    } finally {
      await browser.close();
      await server.close();
    }
    const answers = JSON.parse(readFileSync(join(dir, 'answers', 'round-1.json'), 'utf8')) as { answers: Record<string, { classes: number[]; unsure: boolean }> };
    expect([0, 1, 2].map((i) => [answers.answers[i]!.classes, answers.answers[i]!.unsure])).toEqual([[[2], false], [[1], false], [[], true]]);
  });
});
