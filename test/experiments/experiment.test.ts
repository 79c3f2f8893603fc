// The experiment runner: what each grid contains, shards, and that a grid's runs are recorded once,
// skipped when finished and resumed when interrupted (at toy size: the real grids take hours).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXPERIMENT_BASE, GRIDS, PAPER_BASE, readRecords, runConfig, runGrid, runName, runSeconds, twinOf, type ExperimentRecord } from '../../src/experiments/experiment.js';
import { writeResultsReport } from '../../src/experiments/results-report.js';
import { useEngine } from '../helpers.js';

useEngine();

describe('experiment grids', () => {
  it('hold the runs the issue asks for, each with a distinct name', () => {
    const sizes = Object.fromEntries(Object.entries(GRIDS).map(([k, g]) => [k, g.runs().length]));
    expect(sizes).toEqual({ fig4: 24, table2: 15, budget: 12, scale: 9, 'paper-fig4': 24, 'paper-table2': 15, 'paper-long': 6, 'paper-fig13': 24, 'paper-fig12a': 9, 'paper-fig8': 24, supervised: 3, 'upper-bound': 6 });
    for (const g of Object.values(GRIDS)) {
      const names = g.runs().map(runName);
      expect(new Set(names).size).toBe(names.length);
      for (const n of names) expect(n).toMatch(/^[A-Za-z0-9-]+-seed\d$/);
    }
    // Fig. 4: every (labelling, acquisition) pair with three seeds.
    const fig4 = GRIDS.fig4.runs();
    for (const labelling of ['multi', 'dominant'] as const) {
      for (const acquisition of ['random', 'bvsb', 'classbal', 'pixbal'] as const) {
        const seeds = fig4.filter((r) => r.overrides.labelling === labelling && r.overrides.acquisition === acquisition).map((r) => r.seed);
        expect(seeds.sort()).toEqual([0, 1, 2]);
      }
    }
    // Table 2: five distinct ablation rows.
    expect(new Set(GRIDS.table2.runs().map((r) => JSON.stringify(r.overrides.ablation))).size).toBe(5);
    // Budget: two sizes, both labellings.
    expect(new Set(GRIDS.budget.runs().map((r) => `${r.overrides.budget}/${r.overrides.labelling}`)).size).toBe(4);
    // Scale: longer than the base settings, seed-major order.
    for (const r of GRIDS.scale.runs()) expect(r.overrides.iterations!).toBeGreaterThan(EXPERIMENT_BASE.iterations!);
    expect(GRIDS.scale.runs().map((r) => r.seed)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    // The paper regime: the same comparisons on a pool the whole budget labels sparsely (~32 SEEDS
    // regions per 128x256 image; a dominant answer costs one click, so clicks bound the regions).
    const p = PAPER_BASE;
    expect(p.synthetic!.train).toBeGreaterThanOrEqual(240);
    expect(p.synthetic!.val).toBeGreaterThanOrEqual(40);
    expect(p.rounds! * p.budget!).toBeLessThanOrEqual(0.1 * p.synthetic!.train * 32);
    expect(p.iterations!).toBeGreaterThan(GRIDS.scale.runs()[0].overrides.iterations!);
    expect(GRIDS['paper-fig4'].runs().map((r) => `${r.method}/${r.seed}`).sort()).toEqual(GRIDS.fig4.runs().map((r) => `${r.method}/${r.seed}`).sort());
    expect(GRIDS['paper-fig4'].regime).toBe('paper');
    expect(GRIDS.supervised.runs().every((r) => r.kind === 'supervised' && r.overrides.stage2Iterations! >= p.iterations!)).toBe(true);
    expect(GRIDS['upper-bound'].runs().every((r) => r.overrides.pseudo === 'oracle')).toBe(true);
    // paper-long: PixBal, both labellings, seed-major, both stages three times paper-fig4's stage 1.
    const long = GRIDS['paper-long'].runs();
    expect(long.map((r) => `${r.overrides.labelling}/${r.seed}`)).toEqual(['multi/0', 'dominant/0', 'multi/1', 'dominant/1', 'multi/2', 'dominant/2']);
    for (const r of long) {
      expect(r.overrides.acquisition).toBe('pixbal');
      expect(r.overrides.iterations).toBe(3 * p.iterations!);
      expect(r.overrides.stage2Iterations).toBe(3 * p.iterations!);
    }
  });

  it("paper-fig8: four superpixel settings x Mul/Dom x 3 seeds; SEEDS at 32 px reuses paper-fig4's recorded PixBal runs", () => {
    const runs = GRIDS['paper-fig8'].runs();
    const place = { root: 'data/synthetic', experimentsDir: 'experiments', docsDir: 'docs' };
    const settings = new Set(runs.map((r) => JSON.stringify(r.overrides.superpixels)));
    expect([...settings].sort()).toEqual(['{"algorithm":"seeds","params":{"regionSize":16}}', '{"algorithm":"seeds","params":{"regionSize":64}}', '{"algorithm":"seeds"}', '{"algorithm":"slic"}']);
    // The backbone runGrid sets before it looks for a twin: the one paper-fig4 recorded.
    const pretrained = readRecords('docs', 'paper-fig4')[0].config.pretrained;
    expect(pretrained).toMatch(/^data\/pretrained\/tiny-[0-9a-f]+\.safetensors$/);
    for (const run of runs) {
      const twin = twinOf('docs', { ...runConfig('paper-fig8', run, place), pretrained });
      const seeds32 = run.method.endsWith('SEEDS 32px');
      expect(twin ? `${twin.grid}/${runName(twin)}` : null).toBe(seeds32 ? `paper-fig4/${run.method.startsWith('Mul') ? 'Mul' : 'Dom'}-pixbal-seed${run.seed}` : null);
    }
  });

  it("paper-fig13 (8 acquisitions) and paper-fig12a (3 stage-1 losses), multi-class, 3 seeds; paper-fig4's runs reused where they coincide", () => {
    const place = { root: 'data/synthetic', experimentsDir: 'experiments', docsDir: 'docs' };
    const pretrained = readRecords('docs', 'paper-fig4')[0].config.pretrained;
    const fig13 = GRIDS['paper-fig13'].runs();
    expect([...new Set(fig13.map((r) => r.overrides.acquisition))]).toEqual(['random', 'knn', 'margin', 'bvsb', 'classbal', 'pixbal', 'entropy', 'bald']);
    expect(fig13.every((r) => r.overrides.labelling === 'multi')).toBe(true);
    const fig12a = GRIDS['paper-fig12a'].runs();
    expect([...new Set(fig12a.map((r) => r.overrides.stage1Loss))]).toEqual(['mp-pp', 'infimum', 'rc']);
    const reused = (grid: string) =>
      GRIDS[grid].runs().flatMap((run) => {
        const twin = twinOf('docs', { ...runConfig(grid, run, place), pretrained });
        return twin ? [`${runName(run)} <- ${twin.grid}/${runName(twin)}`] : [];
      });
    expect(reused('paper-fig13').sort()).toEqual(['bvsb', 'classbal', 'pixbal', 'random'].flatMap((a) => [0, 1, 2].map((s) => `Mul-${a}-seed${s} <- paper-fig4/Mul-${a}-seed${s}`)).sort());
    expect(reused('paper-fig12a').sort()).toEqual([0, 1, 2].map((s) => `Mul-pixbal-mp-pp-seed${s} <- paper-fig4/Mul-pixbal-seed${s}`));
  });

  it("paper regime at toy size: the pretrained backbone is made once, the supervised reference and the bound are recorded with loss curves, and the report puts them side by side", async () => {
    const base = mkdtempSync(join(tmpdir(), 'alseg-paper-'));
    const cwd = process.cwd();
    process.chdir(base); // the pretrained file and its source set go under ./data
    try {
      const options = {
        root: join(base, 'data', 'syn'),
        experimentsDir: join(base, 'experiments'),
        docsDir: join(base, 'docs'),
        adapter: 'test adapter',
        overrides: { root: join(base, 'data', 'syn'), synthetic: { train: 4, val: 2, height: 48, width: 96 }, rounds: 1, budget: 10, iterations: 2, stage2Iterations: 2, batch: 2, crop: 32, visualise: 0, checkpointEvery: 1 },
        pretrain: { iterations: 2, batch: 2, crop: 32, source: { seed: 7919, train: 4, val: 2, height: 64, width: 64 } },
      };
      expect(await runGrid('supervised', { ...options, shard: [0, 3] })).toBe(1);
      expect(await runGrid('upper-bound', { ...options, shard: [0, 6] })).toBe(1);
      const sup = readRecords(options.docsDir, 'supervised')[0];
      expect(sup.config.pretrained).toMatch(/data\/pretrained\/tiny-[0-9a-f]{12}\.safetensors$/);
      expect(sup.rounds[0].totalClicks).toBe(0);
      expect(sup.curves!.map((c) => c.stage)).toEqual(['stage2']);
      const ub = readRecords(options.docsDir, 'upper-bound')[0];
      expect(ub.config.pseudo).toBe('oracle');
      expect(ub.config.pretrained).toBe(sup.config.pretrained);
      // Perfect localisation of multi-class answers: every pseudo-label is right.
      expect(ub.rounds[0].pseudo!.accuracy).toBe(1);
      expect(ub.curves!.map((c) => `${c.round}/${c.stage}`)).toEqual(['1/stage1', '1/stage2']);
      expect(ub.rounds[0].training!.stage1!.emptyBatchShare).toBe(0);
      const report = readFileSync(await writeResultsReport(options.docsDir), 'utf8');
      expect(report).toMatch(/Fully supervised reference .*\*\*\d+\.\d ± \d+\.\d mIoU\*\*/);
      expect(report).toContain('![loss curves](results-loss-curves.png)');
      for (const ext of ['png', 'svg', 'vl.json', 'csv']) expect(existsSync(join(options.docsDir, `results-loss-curves.${ext}`))).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  }, 120_000);

  it('records a run once, skips it when finished, resumes it from its run directory', async () => {
    const base = mkdtempSync(join(tmpdir(), 'alseg-grid-'));
    const options = {
      shard: [0, 9] as [number, number], // the first run of "scale" only
      root: join(base, 'data'),
      experimentsDir: join(base, 'experiments'),
      docsDir: join(base, 'docs'),
      adapter: 'test adapter',
      overrides: { synthetic: { train: 4, val: 2, height: 48, width: 96 }, rounds: 1, budget: 10, iterations: 2, stage2Iterations: 1, batch: 2, crop: 32, visualise: 0, checkpointEvery: 1 },
    };
    const started: string[] = [];
    expect(await runGrid('scale', { ...options, onRun: (r, k, todo) => started.push(`${runName(r)} ${k + 1}/${todo}`) })).toBe(1);
    expect(started).toEqual(['Mul-pixbal-seed0 1/1']);
    const file = join(base, 'docs', 'results-data', 'scale', 'Mul-pixbal-seed0.json');
    const rec = JSON.parse(readFileSync(file, 'utf8')) as ExperimentRecord;
    expect(rec).toMatchObject({ grid: 'scale', method: 'Mul+pixbal', seed: 0, adapter: 'test adapter' });
    expect(rec.config).toMatchObject({ labelling: 'multi', acquisition: 'pixbal', rounds: 1, iterations: 2 });
    expect(rec.rounds).toHaveLength(1);
    expect(rec.rounds[0].totalClicks).toBeGreaterThanOrEqual(10);
    expect(rec.wallSeconds).toBeGreaterThan(0);
    expect(rec.resumed).toBe(false);

    // Finished: not redone.
    expect(await runGrid('scale', options)).toBe(0);
    // Record lost but run directory kept (a run killed after finishing): resumed, same numbers.
    rmSync(file);
    expect(await runGrid('scale', options)).toBe(1);
    const again = readRecords(join(base, 'docs'), 'scale');
    expect(again).toHaveLength(1);
    expect(again[0].rounds.map((r) => r.stage1.miou)).toEqual(rec.rounds.map((r) => r.stage1.miou));
    // Its cost is then its rounds' own seconds, not the resuming process's wall time.
    expect(again[0].resumed).toBe(true);
    expect(runSeconds(again[0])).toBe(again[0].rounds.reduce((s, m) => s + m.seconds, 0));
    expect(existsSync(join(base, 'experiments', 'scale', 'Mul-pixbal-seed0', 'config.json'))).toBe(true);

    // Table 2's full method has exactly this run's configuration at these settings: its record is
    // reused, nothing runs. Row (b) differs (no label expansion) and runs.
    const events: string[] = [];
    const onEvent = (r: { method: string }, e: { kind: string; phase?: string; detail?: string }) => void (e.kind === 'phase' && e.phase === 'reused' && events.push(`${r.method} <- ${e.detail}`));
    expect(await runGrid('table2', { ...options, shard: [0, 15], onEvent })).toBe(1);
    expect(events).toEqual(['(a) MP+PP+loc+exp <- scale/Mul-pixbal-seed0']);
    const [full] = readRecords(join(base, 'docs'), 'table2');
    expect(full).toMatchObject({ grid: 'table2', method: '(a) MP+PP+loc+exp', seed: 0, reusedFrom: 'scale/Mul-pixbal-seed0', wallSeconds: 0 });
    expect(full.rounds).toEqual(again[0].rounds);
    expect(full.config.out).toBe(join(base, 'experiments', 'table2', 'a-MP-PP-loc-exp-seed0'));
    expect(existsSync(join(base, 'experiments', 'table2'))).toBe(false);
    expect(await runGrid('table2', { ...options, shard: [3, 15], onEvent })).toBe(1); // (b), seed 0
    expect(events).toHaveLength(1);
    const rowB = readRecords(join(base, 'docs'), 'table2').find((r) => r.method.startsWith('(b)'))!;
    expect(rowB.reusedFrom).toBeUndefined();
    expect(rowB.config.ablation).toMatchObject({ expand: false });

    await expect(runGrid('nope', options)).rejects.toThrow(/unknown experiment "nope"/);
  }, 120_000);

  it('skips a run another process recorded after the call started', async () => {
    const base = mkdtempSync(join(tmpdir(), 'alseg-grid-'));
    const options = {
      shard: [0, 4] as [number, number], // scale runs 0, 4 and 8
      root: join(base, 'data'),
      experimentsDir: join(base, 'experiments'),
      docsDir: join(base, 'docs'),
      adapter: 'test adapter',
      overrides: { synthetic: { train: 4, val: 2, height: 48, width: 96 }, rounds: 1, budget: 10, iterations: 1, stage2Iterations: 1, batch: 2, crop: 32, visualise: 0, checkpointEvery: 1 },
    };
    const runs = GRIDS.scale.runs();
    const started: string[] = [];
    const n = await runGrid('scale', {
      ...options,
      onRun: (r, k) => {
        started.push(runName(r));
        // While the first run starts, "another process" finishes run 4.
        if (k === 0) {
          mkdirSync(join(base, 'docs', 'results-data', 'scale'), { recursive: true });
          writeFileSync(join(base, 'docs', 'results-data', 'scale', `${runName(runs[4])}.json`), JSON.stringify({ grid: 'scale', method: runs[4].method, seed: runs[4].seed, config: {}, rounds: [] }));
        }
      },
    });
    expect(started).toEqual([runName(runs[0]), runName(runs[8])]);
    expect(n).toBe(2);
    expect(existsSync(join(base, 'experiments', 'scale', runName(runs[4])))).toBe(false);
  }, 120_000);

  it('names a broken record file instead of failing somewhere in the report', () => {
    const docs = mkdtempSync(join(tmpdir(), 'alseg-records-'));
    const dir = join(docs, 'results-data', 'fig4');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Mul-random-seed0.json'), '{"grid": "fig4", "meth');
    expect(() => readRecords(docs, 'fig4')).toThrow(/Mul-random-seed0\.json: not valid JSON/);
    writeFileSync(join(dir, 'Mul-random-seed0.json'), '{}');
    expect(() => readRecords(docs, 'fig4')).toThrow(/Mul-random-seed0\.json: not an experiment record \(missing grid, method, seed, config, rounds\)/);
  });
});
