// A grid's figure from hand-made records: panels and lines from the grid's layout, per round the
// mean over seeds with its min-max band, the supervised reference dashed; written as spec, data,
// SVG and PNG; and the loss curves' figure.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/al/config.js';
import { readRgbPng } from '../../src/data/png.js';
import type { ExperimentRecord } from '../../src/experiments/experiment.js';
import { gridFigure, lossCurvesFigure, writeGridFigure } from '../../src/experiments/grid-figures.js';
import { PNG_SCALE } from '../../src/figures/render.js';
import { textPixels } from '../figures/text-pixels.js';

function record(grid: string, method: string, seed: number, config: Partial<RunConfig>, final: number[], clicks: number[]): ExperimentRecord {
  const m = (miou: number) => ({ miou, miouAllClasses: miou, pixelAccuracy: 0.5, perClass: [] });
  return {
    grid,
    method,
    seed,
    config: { ...DEFAULT_CONFIG, ...config },
    adapter: 'test',
    wallSeconds: 1,
    rounds: final.map((f, k) => ({ round: k + 1, clicks: 0, totalClicks: clicks[k], regions: 1, multiClassShare: 0, stage1: m(f / 2), stage2: m(f), pseudo: null, seconds: 1 })),
  };
}

// paper-fig4: Mul+random over two seeds (final 0.10/0.14 then 0.20/0.30; multi-class answers spend
// 110/130 then 230/250 clicks), Dom+random and Mul+pixbal over one.
const records = [
  record('paper-fig4', 'Mul+random', 0, { labelling: 'multi', acquisition: 'random' }, [0.1, 0.2], [110, 230]),
  record('paper-fig4', 'Mul+random', 1, { labelling: 'multi', acquisition: 'random' }, [0.14, 0.3], [130, 250]),
  record('paper-fig4', 'Dom+random', 0, { labelling: 'dominant', acquisition: 'random' }, [0.12, 0.16], [120, 240]),
  record('paper-fig4', 'Mul+pixbal', 0, { labelling: 'multi', acquisition: 'pixbal' }, [0.15, 0.25], [120, 240]),
];

describe('grid figures', () => {
  it("lays out Fig. 4: a panel per acquisition, multi-class vs dominant, mean and min-max over seeds, the reference", () => {
    const fig = gridFigure('paper-fig4', records, { miou: 0.5, seeds: 3 })!;
    // Panels and lines in the grid's order (random before pixbal, multi before dominant), only those recorded.
    expect(fig.panel).toEqual({ field: 'panel', order: ['Random', 'PixBal'] });
    expect(fig.series).toMatchObject({ field: 'series', title: 'labels', order: ['multi-class', 'dominant'] });
    expect(fig.band).toEqual({ lo: 'miou_min', hi: 'miou_max' });
    expect(fig.reference).toEqual({ value: 50, label: 'fully supervised: 50.0 (3 seeds)' });
    const row = (panel: string, series: string, round: number) => fig.rows.find((r) => r.panel === panel && r.series === series && r.round === round);
    expect(row('Random', 'multi-class', 1)).toEqual({ panel: 'Random', series: 'multi-class', round: 1, clicks: 120, miou: expect.closeTo(12, 9), miou_min: expect.closeTo(10, 9), miou_max: expect.closeTo(14, 9), miou_std: expect.closeTo(2 * Math.SQRT2, 9), seeds: 2 });
    expect(row('Random', 'multi-class', 2)).toMatchObject({ clicks: 240, miou: expect.closeTo(25, 9), miou_min: expect.closeTo(20, 9), miou_max: expect.closeTo(30, 9) });
    expect(row('Random', 'dominant', 2)).toMatchObject({ clicks: 240, miou: expect.closeTo(16, 9), miou_min: expect.closeTo(16, 9), miou_max: expect.closeTo(16, 9), seeds: 1 });
    expect(row('PixBal', 'multi-class', 1)).toMatchObject({ miou: expect.closeTo(15, 9), seeds: 1 });
    expect(fig.rows).toHaveLength(6);
    expect(fig.subtitle).toEqual(['line: mean over 1-2 seeds (at their mean clicks); band: lowest to highest seed', 'dashed: the fully supervised reference']);
  });

  it('draws the setting grids a panel per setting, and none for the supervised grid', () => {
    const t2 = [record('paper-table2', '(a) MP+PP+loc+exp', 0, {}, [0.2], [120]), record('paper-table2', '(d) MP', 0, { ablation: { mp: true, pp: false, localise: false, expand: false } }, [0.1], [120])];
    const fig = gridFigure('paper-table2', t2, null)!;
    expect(fig.panel!.order).toEqual(['(a) MP+PP+loc+exp', '(d) MP']);
    expect(fig.series.order).toEqual(['multi-class']);
    expect(fig.reference).toBeUndefined();
    expect(gridFigure('supervised', [record('supervised', 'Supervised', 0, {}, [0.5], [0])], null)).toBeNull();
  });

  it('takes any layout: one panel, a line per setting, the stage-1 model (as Fig. 12a would)', () => {
    const byLoss = { series: { title: 'stage-1 loss', of: ({ config }: { config: RunConfig }) => (config.ablation.pp ? 'MP+PP' : 'MP') }, model: 'stage1' as const };
    const recs = [
      record('paper-table2', '(c) MP+PP', 0, { ablation: { mp: true, pp: true, localise: false, expand: false } }, [0.2, 0.3], [120, 240]),
      record('paper-table2', '(d) MP', 0, { ablation: { mp: true, pp: false, localise: false, expand: false } }, [0.1, 0.2], [120, 240]),
    ];
    const fig = gridFigure('paper-table2', recs, null, byLoss)!;
    expect(fig.panel).toBeUndefined();
    expect(fig.series).toMatchObject({ title: 'stage-1 loss', order: ['MP+PP', 'MP'] });
    expect(fig.title).toContain('stage-1 model');
    // Stage 1's mIoU (half the final in these records), without a panel field.
    expect(fig.rows[0]).toEqual({ series: 'MP+PP', round: 1, clicks: 120, miou: 10, miou_min: 10, miou_max: 10, miou_std: 0, seeds: 1 });
  });

  it('writes spec, data, SVG and PNG under the name the report links, with axis titles, legend and drawn text', async () => {
    const docs = mkdtempSync(join(tmpdir(), 'alseg-figures-'));
    const out = (await writeGridFigure(docs, 'paper-fig4', records, { miou: 0.5, seeds: 3 }))!;
    expect(out.png).toBe('results-paper-fig4.png');
    expect(out.caption).toContain('[results-paper-fig4.vl.json](results-paper-fig4.vl.json)');
    const spec = JSON.parse(readFileSync(join(docs, 'results-paper-fig4.vl.json'), 'utf8')) as { data: { values: unknown[] }; facet: { sort: string[] } };
    expect(spec.data.values).toHaveLength(6);
    expect(spec.facet.sort).toEqual(['Random', 'PixBal']);
    const csv = readFileSync(join(docs, 'results-paper-fig4.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('panel,series,round,clicks,miou,miou_min,miou_max,miou_std,seeds');
    expect(csv).toContain('Random,multi-class,1,120,12,10,14,2.828427,2');
    const svg = readFileSync(join(docs, 'results-paper-fig4.svg'), 'utf8');
    for (const text of ['clicks (cumulative)', 'mIoU (%)', 'labels', 'multi-class', 'dominant', 'fully supervised: 50.0 (3 seeds)', 'Random', 'PixBal']) expect(svg).toContain(`>${text}<`);
    const png = readRgbPng(join(docs, 'results-paper-fig4.png'));
    const [, w, h] = /^<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg)!.map(Number);
    expect([png.width, png.height]).toEqual([w * PNG_SCALE, h * PNG_SCALE]);
    expect(textPixels(svg, png)).toBeGreaterThan(3000);
  });

  it('draws loss curves a panel per stage on its own scales, first and last round', () => {
    const rec: ExperimentRecord = {
      ...records[0],
      curves: [1, 2, 3].flatMap((round) => (['stage1', 'stage2'] as const).map((stage) => ({ round, stage, losses: [[10, round], [20, round / 2]] as [number, number][] }))),
    };
    const fig = lossCurvesFigure(rec)!;
    expect(fig.panel).toEqual({ field: 'stage', order: ['stage 1', 'stage 2'] });
    expect(fig.series.order).toEqual(['round 1', 'round 3']);
    expect(fig.x.independent && fig.y.independent).toBe(true);
    expect(fig.rows).toContainEqual({ stage: 'stage 2', round: 'round 3', iteration: 20, loss: 1.5 });
    expect(fig.rows).toHaveLength(8);
  });
});
