// The train command's options reach the run configuration (negated booleans included).
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { configFrom, trainOptions } from '../src/commands/train.js';

async function parse(args: string[]) {
  return configFrom(await trainOptions(yargs(args)).parseAsync());
}

describe('alseg train options', () => {
  it('defaults are the documented defaults', async () => {
    // Stated here, not read from DEFAULT_CONFIG, so a changed default fails until the documentation
    // changes with it: README.md ("Command line": 24 train / 8 val images at 128x256, 5 rounds of
    // 120 clicks, PixBal, multi-class labels, tiny, SEEDS, crop 96 x batch 4, the code reading) and
    // docs/method.md ("Training": AdamW, weight decay 1e-5; "Stage-1 losses": 16 CE + 8 MP + 1 PP;
    // PixBal's nu = 6 for Cityscapes-like scenes).
    const c = await parse(['--out', 'x']);
    expect(c).toEqual({
      dataset: 'synthetic',
      root: 'data/synthetic',
      synthetic: { train: 24, val: 8, height: 128, width: 256 },
      preset: 'tiny',
      labelling: 'multi',
      dominant: 'majority',
      acquisition: 'pixbal',
      baldPasses: 8,
      knnK: 5,
      oracle: 'simulated',
      rounds: 5,
      budget: 120,
      iterations: 100,
      stage2Iterations: 100,
      lr: 2e-3,
      lr2: 4e-3,
      weightDecay: 1e-5,
      batch: 4,
      crop: 96,
      nu: 6,
      tau: 0.1,
      weights: { ce: 16, mp: 8, pp: 1 },
      reading: 'code',
      ablation: { mp: true, pp: true, localise: true, expand: true },
      bnRecalibration: true,
      stage1Loss: 'mp-pp',
      stage2: true,
      superpixels: { algorithm: 'seeds' },
      seed: 0,
      out: 'x',
      checkpointEvery: 20,
      valLimit: 0,
      visualise: 4,
      pretrained: undefined,
      sampler: 'labelled',
    });
    // Without --out a run gets a new runs/<date>-<time> directory.
    expect((await parse([])).out).toMatch(/^runs\/\d{8}-\d{6}$/);
  });
  it("crop and batch default from the images' size (the paper's where they cannot be read); the command line overrides them", async () => {
    expect(await parse(['--dataset', 'cityscapes', '--root', 'no-such-dir', '--out', 'x'])).toMatchObject({ crop: 768, batch: 4 });
    expect(await parse(['--dataset', 'voc', '--root', 'no-such-dir', '--out', 'x'])).toMatchObject({ crop: 513, batch: 4 });
    // The synthetic set's generated size: 3/4 of 128 and of 64 px.
    expect(await parse(['--out', 'x'])).toMatchObject({ crop: 96, batch: 4 });
    expect(await parse(['--synthetic-size', '8x2@64x128', '--out', 'x'])).toMatchObject({ crop: 48, batch: 4 });
    const notes: string[] = [];
    configFrom(await trainOptions(yargs(['--synthetic-size', '8x2@64x128', '--out', 'x'])).parseAsync(), notes);
    expect(notes).toEqual([
      'defaults from the data (generated 128x64 images):',
      "  crop 48 px: 3/4 of the 64 px image height, as the paper's 768 px crops of 1024x2048 Cityscapes images",
      "  batch 4: the paper's (split into micro-batches with a notice where a batch is past the adapter's binding limits)",
      "  superpixels of ~32x32 px: the paper's region size (2048 per 1024x2048 Cityscapes image), ~8 per 128x64 image",
    ]);
    expect(await parse(['--dataset', 'cityscapes', '--crop', '192', '--batch', '8', '--out', 'x'])).toMatchObject({ crop: 192, batch: 8 });
    expect(await parse(['--sampler', 'random', '--pseudo', 'oracle', '--out', 'x'])).toMatchObject({ sampler: 'random', pseudo: 'oracle' });
  });
  it('ablation switches and other negations turn things off', async () => {
    const c = await parse(['--no-mp', '--no-pp', '--no-localise', '--no-expand', '--no-stage2', '--no-bn-recalibration', '--out', 'x']);
    expect(c.ablation).toEqual({ mp: false, pp: false, localise: false, expand: false });
    expect(c.stage2).toBe(false);
    expect(c.bnRecalibration).toBe(false);
  });
  it('values are validated with a clear message', async () => {
    await expect(parse(['--rounds', '0', '--out', 'x'])).rejects.toThrow(/--rounds must be a positive integer/);
    await expect(parse(['--synthetic-size', '3x1', '--out', 'x'])).rejects.toThrow(/TRAINxVAL@HEIGHTxWIDTH/);
    await expect(parse(['--resume'])).rejects.toThrow(/--resume needs --out/);
    await expect(parse(['--acquisition', 'bald', '--bald-passes', '1', '--out', 'x'])).rejects.toThrow(/--bald-passes must be an integer >= 2 \(one pass has no mutual information to measure\), got 1/);
    await expect(parse(['--acquisition', 'knn', '--knn-k', '0', '--out', 'x'])).rejects.toThrow(/--knn-k must be a positive integer, got 0/);
  });
  it('the acquisitions beyond the authors\' code and their options', async () => {
    for (const acquisition of ['margin', 'entropy', 'bald', 'knn']) expect(await parse(['--acquisition', acquisition, '--out', 'x'])).toMatchObject({ acquisition, baldPasses: 8, knnK: 5 });
    expect(await parse(['--acquisition', 'bald', '--bald-passes', '3', '--knn-k', '2', '--out', 'x'])).toMatchObject({ baldPasses: 3, knnK: 2 });
    const { identityDifferences } = await import('../src/run/run-directory.js');
    const { baldPasses: _b, knnK: _k, ...older } = await parse(['--out', 'x']);
    // A run saved before these options resumes with their defaults; a changed one is named.
    expect(identityDifferences(older, await parse(['--out', 'x']))).toEqual([]);
    expect(identityDifferences(older, await parse(['--bald-passes', '4', '--out', 'x']))).toEqual(['--bald-passes: 8 in the saved run, 4 now']);
  });
  it('--stage1-loss picks the method\'s losses or a partial-label baseline; the baselines refuse the MP/PP ablations', async () => {
    expect((await parse(['--out', 'x'])).stage1Loss).toBe('mp-pp');
    expect((await parse(['--stage1-loss', 'infimum', '--out', 'x'])).stage1Loss).toBe('infimum');
    expect((await parse(['--stage1-loss', 'rc', '--out', 'x'])).stage1Loss).toBe('rc');
    await expect(parse(['--stage1-loss', 'rc', '--no-pp', '--out', 'x'])).rejects.toThrow(/--stage1-loss rc replaces the merged positive and prototypical pixel terms, so --no-mp and --no-pp/);
    await expect(parse(['--stage1-loss', 'infimum', '--no-mp', '--out', 'x'])).rejects.toThrow(/--stage1-loss infimum replaces/);
    expect((await parse(['--stage1-loss', 'mp-pp', '--no-pp', '--out', 'x'])).ablation.pp).toBe(false);
  });
  it('parses every researcher-facing option', async () => {
    const c = await parse(['--labelling', 'dominant', '--acquisition', 'bvsb', '--rounds', '3', '--budget', '50', '--nu', '12', '--tau', '0.2', '--lambda-ce', '4', '--reading', 'text', '--seed', '7', '--out', 'r', '--synthetic-size', '8x2@64x128']);
    expect(c).toMatchObject({ labelling: 'dominant', acquisition: 'bvsb', rounds: 3, budget: 50, nu: 12, tau: 0.2, reading: 'text', seed: 7, out: 'r' });
    expect(c.weights.ce).toBe(4);
    expect(c.synthetic).toEqual({ train: 8, val: 2, height: 64, width: 128 });
  });
});

describe('a run\'s identity (what --resume compares)', () => {
  it('a setting missing from the saved config equals one given as undefined; bookkeeping options do not count', async () => {
    const { identityDifferences } = await import('../src/run/run-directory.js');
    const given = await parse(['--out', 'x']);
    const saved = JSON.parse(JSON.stringify({ ...given, out: 'y', checkpointEvery: 7, visualise: 0 }));
    expect(given.pretrained).toBeUndefined();
    expect('pretrained' in saved).toBe(false);
    expect(identityDifferences(saved, given)).toEqual([]);
  });
  it('a config saved before --stage1-loss existed is an mp-pp run', async () => {
    const { identityDifferences } = await import('../src/run/run-directory.js');
    const given = await parse(['--out', 'x']);
    const { stage1Loss: _, ...older } = JSON.parse(JSON.stringify(given)) as typeof given;
    expect('stage1Loss' in older).toBe(false);
    expect(identityDifferences(older, given)).toEqual([]);
    expect(identityDifferences(older, await parse(['--out', 'x', '--stage1-loss', 'infimum']))).toEqual(['--stage1-loss: "mp-pp" in the saved run, "infimum" now']);
  });
  it('names each changed setting by its option, with the saved and the given value', async () => {
    const { identityDifferences } = await import('../src/run/run-directory.js');
    const saved = await parse(['--out', 'x']);
    const given = await parse(['--out', 'x', '--lambda-pp', '2', '--synthetic-size', '8x2@64x128', '--no-expand', '--pretrained', 'w.safetensors']);
    expect(identityDifferences(saved, given)).toEqual([
      '--synthetic-size: 24x8@128x256 in the saved run, 8x2@64x128 now',
      // The crop follows the images' size when not given.
      '--crop: 96 in the saved run, 48 now',
      '--lambda-pp: 1 in the saved run, 2 now',
      '--expand: true in the saved run, false now',
      '--pretrained: not given in the saved run, "w.safetensors" now',
    ]);
  });
});
