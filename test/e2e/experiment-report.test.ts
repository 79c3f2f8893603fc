// `node dist/cli.js experiment report` on hand-made records, as a user regenerates docs/results.md:
// the report links each grid's figure, written beside it as PNG, SVG, Vega-Lite spec and CSV; a
// broken record stops it naming the file before anything is written.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/al/config.js';
import { readRgbPng } from '../../src/data/png.js';
import type { ExperimentRecord } from '../../src/experiments/experiment.js';
import { runCli } from '../cli-process.js';

function write(docs: string, grid: string, method: string, seed: number, final: number[], config = {}): void {
  const m = (miou: number) => ({ miou, miouAllClasses: miou, pixelAccuracy: 0.5, perClass: [] });
  const rec: ExperimentRecord = {
    grid,
    method,
    seed,
    config: { ...DEFAULT_CONFIG, ...config },
    adapter: 'test',
    wallSeconds: 1,
    rounds: final.map((f, k) => ({ round: k + 1, clicks: 120, totalClicks: 120 * (k + 1), regions: 10, multiClassShare: 0.5, stage1: m(f), stage2: m(f), pseudo: null, seconds: 1 })),
  };
  mkdirSync(join(docs, 'results-data', grid), { recursive: true });
  writeFileSync(join(docs, 'results-data', grid, `${method.replace(/[^A-Za-z0-9]+/g, '-')}-seed${seed}.json`), JSON.stringify(rec));
}

describe('alseg experiment report', () => {
  it("writes results.md with each grid's figure, its spec and data beside it", async () => {
    const base = mkdtempSync(join(tmpdir(), 'alseg-report-cli-'));
    const docs = join(base, 'docs');
    write(docs, 'supervised', 'Supervised', 0, [0.4]);
    write(docs, 'paper-fig4', 'Mul+pixbal', 0, [0.1, 0.2], { labelling: 'multi', acquisition: 'pixbal' });
    write(docs, 'paper-fig4', 'Dom+pixbal', 0, [0.15, 0.18], { labelling: 'dominant', acquisition: 'pixbal' });
    const r = await runCli(['experiment', 'report', '--docs', docs], { cwd: base });
    expect(r.code, r.output).toBe(0);
    const md = readFileSync(join(docs, 'results.md'), 'utf8');
    expect(md).toContain('![mIoU vs clicks](results-paper-fig4.png)');
    expect(md).toContain('[results-paper-fig4.vl.json](results-paper-fig4.vl.json)');
    for (const ext of ['png', 'svg', 'vl.json', 'csv']) expect(existsSync(join(docs, `results-paper-fig4.${ext}`)), ext).toBe(true);
    expect(readFileSync(join(docs, 'results-paper-fig4.svg'), 'utf8')).toContain('>fully supervised: 40.0 (1 seed)<');
    expect(readRgbPng(join(docs, 'results-paper-fig4.png')).width).toBeGreaterThan(400);
  });

  it('stops at a broken record, naming it, and writes nothing', async () => {
    const base = mkdtempSync(join(tmpdir(), 'alseg-report-cli-'));
    const docs = join(base, 'docs');
    write(docs, 'paper-fig4', 'Mul+pixbal', 0, [0.1, 0.2]);
    // paper-long comes after paper-fig4 in the report: its figure must not be written first.
    mkdirSync(join(docs, 'results-data', 'paper-long'), { recursive: true });
    writeFileSync(join(docs, 'results-data', 'paper-long', 'Mul-pixbal-long-seed0.json'), '{"grid": "paper-long"');
    const r = await runCli(['experiment', 'report', '--docs', docs], { cwd: base });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain(`${join(docs, 'results-data', 'paper-long', 'Mul-pixbal-long-seed0.json')}: not valid JSON`);
    expect(existsSync(join(docs, 'results.md'))).toBe(false);
    expect(existsSync(join(docs, 'results-paper-fig4.png'))).toBe(false);
  });
});
