// The paper's user study (Appendix A, Table 3) run end to end as a user runs it, on a small labelled
// set (3 synthetic street scenes at 96x192, Cityscapes layout): `annotate --study 2` draws 2 regions with each of 1, 2 and 3 classes and serves them; two
// annotators answer in headless Chromium with keys (alice first gets half the regions as
// dominant-class queries and the other half as multi-class ones, bob the other way round); then
// `report annotation` prints the table and writes its CSV and PNG. The answers are scripted from
// the study's ground truth (alice answers everything right, bob names only one class of each
// multi-class query), so the table's clicks and Jaccard accuracy are known here and checked; the
// times are the page's own. Bad requests fail with the reason and write nothing. Skipped, printing
// why, where no Chromium is installed.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, REPO, runCli } from '../cli-process.js';
import { DEFAULT_SYNTHETIC, ensureSyntheticDataset } from '../../src/data/synthetic.js';

const CANDIDATES = process.env.ALSEG_CHROMIUM ? [process.env.ALSEG_CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const chromium = CANDIDATES.find((p) => existsSync(p));
const reason = `no Chromium at ${CANDIDATES.join(', ')} (scripts/setup.sh installs Debian's chromium; or set ALSEG_CHROMIUM)`;
if (!chromium) console.warn(`test/e2e/annotation-study.test.ts skipped: ${reason}`);

const base = mkdtempSync(join(tmpdir(), 'alseg-study-'));
const root = join(base, 'labelled');
ensureSyntheticDataset(root, { ...DEFAULT_SYNTHETIC, splits: { train: 3, val: 0 }, height: 96, width: 192 });
const study = join(base, 'study');
const KEYS = '1234567890abcdefghijklmnopqrstuvwxyz';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Starts `annotate` with `args` and resolves with the study's page address it prints. */
function annotate(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  return new Promise((resolveUrl, reject) => {
    const child = spawn(process.execPath, [CLI, 'annotate', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    const onData = (b: Buffer) => {
      output += b.toString();
      const m = /opens (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)&annotator=<name>/.exec(output);
      if (m) resolveUrl({ child, url: m[1]!, output: () => output });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`annotate exited (${code}) before printing its URL:\n${output}`)));
  });
}

interface Region { id: number; truth: number[]; dominant: number; half: 0 | 1 }

describe('annotate --study and report annotation', () => {
  it.skipIf(!chromium)(`two annotators answer in headless Chromium; the table follows from their answers${chromium ? '' : ` (skipped: ${reason})`}`, async () => {
    // Too many regions asked for: the reason, and no study folder.
    const tooMany = await runCli(['annotate', '--study', '500', '--dataset', 'synthetic', '--root', root, '--out', study]);
    expect(tooMany.code, tooMany.output).toBe(1);
    expect(tooMany.output).toMatch(/too few regions for --study 500: \d+ with 1 class, \d+ with 2 classes, \d+ with 3 classes \(regions with void pixels left out\)/);
    expect(existsSync(study)).toBe(false);
    const noData = await runCli(['annotate', '--study', '2', '--out', study]);
    expect([noData.code, noData.output]).toEqual([1, expect.stringContaining('--study needs the labelled dataset: --dataset <layout> --root <folder>')]);

    const { child, url, output } = await annotate(['--study', '2', '--dataset', 'synthetic', '--root', root, '--out', study, '--port', '0']);
    expect(output()).toContain(`study in ${study}: 6 regions (2 with each of 1, 2, 3 classes) of synthetic ${root} (train)`);
    const file = JSON.parse(readFileSync(join(study, 'study.json'), 'utf8')) as { regions: Region[] };
    const regions = file.regions;
    expect(regions.map((r) => r.truth.length).sort()).toEqual([1, 1, 2, 2, 3, 3]);
    expect(regions.map((r) => r.half)).toEqual([0, 0, 0, 1, 1, 1]);
    // Each half holds one region of each group.
    for (const h of [0, 1]) expect(regions.filter((r) => r.half === h).map((r) => r.truth.length).sort()).toEqual([1, 2, 3]);

    const { default: puppeteer } = await import('puppeteer-core');
    const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox'] });
    const forms: Record<string, string[]> = {};
    try {
      const pageOf = async (name: string) => {
        const page = await browser.newPage();
        await page.goto(`${url}&annotator=${name}`);
        await page.waitForSelector('.cls');
        return page;
      };
      // Both pages open at once, as two people would have them.
      const alice = await pageOf('alice');
      const bob = await pageOf('bob');
      expect(await alice.$eval('#round', (e) => e.textContent)).toBe('study · alice · first dominant-class labels, then multi-class labels');
      expect(await bob.$eval('#round', (e) => e.textContent)).toBe('study · bob · first multi-class labels, then dominant-class labels');
      for (const [name, page] of [['alice', alice], ['bob', bob]] as const) {
        forms[name] = [];
        await page.bringToFront();
        for (let n = 1; n <= 6; n++) {
          await page.waitForFunction((t) => document.querySelector('#where')?.textContent?.startsWith(t), { timeout: 10_000 }, `query ${n} of 6`).catch(async (e: unknown) => {
            throw new Error(`${name}, query ${n}: the page shows "${await page.$eval('#where', (x) => x.textContent)}", error "${await page.$eval('#error', (x) => x.textContent)}" (${String(e)})`);
          });
          const r = regions[n - 1]!;
          const multi = await page.$eval('#submit', (e) => getComputedStyle(e).display !== 'none');
          forms[name].push(multi ? 'multi' : 'dominant');
          expect(await page.$eval('#instruction', (e) => e.textContent)).toMatch(multi ? /Select every class/ : /the one class that covers most/);
          if (!multi) await page.keyboard.press(KEYS[r.dominant]!);
          else {
            // alice names every class of the region, bob only its first.
            for (const c of name === 'alice' ? r.truth : r.truth.slice(0, 1)) await page.keyboard.press(KEYS[c]!);
            await page.keyboard.press('Enter');
          }
        }
        await page.waitForSelector('#done', { visible: true });
        expect(await page.$eval('#done', (e) => e.textContent)).toContain('All 6 queries are answered. Thank you!');
      }
      // A page without an annotator's name says what to add.
      const anonymous = await browser.newPage();
      await anonymous.goto(url);
      await anonymous.waitForFunction(() => /annotator=<name>/.test(document.querySelector('#error')?.textContent ?? ''));
    } finally {
      await browser.close();
      child.kill('SIGTERM');
    }
    expect(forms).toEqual({ alice: ['dominant', 'dominant', 'dominant', 'multi', 'multi', 'multi'], bob: ['multi', 'multi', 'multi', 'dominant', 'dominant', 'dominant'] });
    const saved = JSON.parse(readFileSync(join(study, 'answers', 'study-bob.json'), 'utf8')) as { parity: number; answers: Record<string, { classes: number[]; mode: string; seconds: number }> };
    expect(saved.parity).toBe(1);
    expect(saved.answers['0']).toMatchObject({ classes: regions[0]!.truth.slice(0, 1), mode: 'multi' });

    // The report: errors first (nothing written), then the table.
    const withTruth = await runCli(['report', 'annotation', '--out', study, '--truth', root]);
    expect([withTruth.code, withTruth.output]).toEqual([1, expect.stringContaining(`${study} is a study: its regions carry their ground truth`)]);
    mkdirSync(join(base, 'empty'));
    const empty = await runCli(['report', 'annotation', '--out', join(base, 'empty')]);
    expect([empty.code, empty.output]).toEqual([1, expect.stringContaining('neither a study (study.json) nor a run directory (config.json)')]);
    expect(readdirSync(study).sort()).toEqual(['answers', 'queries', 'study.json']);

    const report = await runCli(['report', 'annotation', '--out', study]);
    expect(report.code, report.output).toBe(0);
    expect(report.output).toContain(`annotation cost of the user study of 6 regions (2 with each of 1, 2, 3 classes) of synthetic ${root} (train), 2 annotators`);
    expect(report.output).toContain('grouped by the number of classes truly in the region');
    const lines = readFileSync(join(study, 'annotation-cost.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('form,classes,queries,unsure,annotators,seconds,clicks,seconds_per_query,seconds_per_click,jaccard,dominant_hit');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.map((r) => `${r[0]} ${r[1]}`)).toEqual(['dominant 1', 'dominant 2', 'dominant 3', 'dominant all', 'multi 1', 'multi 2', 'multi 3', 'multi all']);
    // Expected from the scripted answers: per form and group, one region from each annotator.
    for (const r of rows) {
      const [form, group, queries, unsure, annotators, seconds, clicks, perQuery, perClick, jaccard, hit] = r;
      const k = group === 'all' ? null : Number(group);
      const ks = k === null ? [1, 2, 3] : [k];
      expect([queries, unsure, annotators]).toEqual([String(2 * ks.length), '0', '2']);
      // Dominant: one click each, Jaccard 1/k, always the majority class. Multi: alice k clicks and Jaccard 1, bob 1 and 1/k.
      const expectClicks = form === 'dominant' ? 2 * ks.length : ks.reduce((s, x) => s + x + 1, 0);
      expect(Number(clicks), `${form} ${group}`).toBe(expectClicks);
      const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
      const expectJaccard = form === 'dominant' ? mean(ks.map((x) => 1 / x)) : mean([1, mean(ks.map((x) => 1 / x))]);
      expect(Number(jaccard), `${form} ${group}`).toBeCloseTo(expectJaccard, 5);
      expect(hit).toBe(form === 'dominant' ? '1' : '');
      expect(Number(seconds)).toBeGreaterThan(0);
      expect(Number(perQuery)).toBeCloseTo(Number(seconds) / Number(queries), 4);
      expect(Number(perClick)).toBeCloseTo(Number(seconds) / Number(clicks), 4);
    }
    const png = readFileSync(join(study, 'annotation-cost.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });
});
