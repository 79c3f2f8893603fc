// A run's figure of mIoU against clicks: stage 1 and stage 2 per round (a round without stage 2
// draws stage 1 only), written beside metrics.csv as spec, data, SVG and PNG.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRgbPng } from '../../src/data/png.js';
import { writeMetrics, type RoundMetrics } from '../../src/run/report.js';

const scores = (miou: number) => ({ miou, miouAllClasses: miou, pixelAccuracy: 0.5, perClass: [miou] });
const round = (k: number, s1: number, s2: number | null): RoundMetrics => ({ round: k, clicks: 50, totalClicks: 50 * k, regions: 10, multiClassShare: 0.5, stage1: scores(s1), stage2: s2 === null ? null : scores(s2), pseudo: null, seconds: 1 });

describe('run report', () => {
  it("draws the run's stage 1 and stage 2 mIoU against clicks", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alseg-run-report-'));
    await writeMetrics(dir, [round(1, 0.1, 0.12), round(2, 0.2, null)], ['road']);
    for (const f of ['metrics.csv', 'metrics.json', 'miou-vs-clicks.png', 'miou-vs-clicks.svg', 'miou-vs-clicks.vl.json', 'miou-vs-clicks.csv']) expect(existsSync(join(dir, f)), f).toBe(true);
    const spec = JSON.parse(readFileSync(join(dir, 'miou-vs-clicks.vl.json'), 'utf8')) as { data: { values: object[] }; layer: { encoding: Record<string, { field: string }> }[] };
    expect(spec.data.values).toEqual([
      { stage: 'stage 1 (partial labels)', round: 1, clicks: 50, miou: 10 },
      { stage: 'stage 1 (partial labels)', round: 2, clicks: 100, miou: 20 },
      { stage: 'stage 2 (pseudo-labels)', round: 1, clicks: 50, miou: 12 },
    ]);
    expect(spec.layer[0].encoding.color.field).toBe('stage');
    const svg = readFileSync(join(dir, 'miou-vs-clicks.svg'), 'utf8');
    for (const text of ['mIoU vs clicks', 'clicks (cumulative)', 'mIoU (%)', 'stage 1 (partial labels)', 'stage 2 (pseudo-labels)']) expect(svg).toContain(`>${text}<`);
    const png = readRgbPng(join(dir, 'miou-vs-clicks.png'));
    expect(png.width).toBeGreaterThan(400);
  });
});
