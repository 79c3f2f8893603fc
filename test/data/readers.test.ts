import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cityscapesImagePath, cityscapesLabelPath, openCityscapes } from '../../src/data/cityscapes.js';
import { CITYSCAPES_LABEL_TO_TRAIN } from '../../src/data/cityscapes-labels.js';
import { checkDataset } from '../../src/data/check.js';
import { openDataset } from '../../src/data/open-dataset.js';
import { writeGreyPng, writePalettePng } from '../../src/data/png.js';
import { openVoc } from '../../src/data/voc.js';
import { vocColorMap } from '../../src/data/voc-labels.js';
import { tempDir, writeCityscapesFixture, writeVocFixture } from './fixtures.js';

describe('Cityscapes reader', () => {
  it('lists images by city and maps label ids to train ids', () => {
    const root = tempDir('cs');
    writeCityscapesFixture(root, [
      { split: 'train', city: 'bonn', base: 'bonn_000000_000001', width: 8, height: 4, labelIds: [7, 26, 0, 33] },
      { split: 'train', city: 'aachen', base: 'aachen_000000_000002', width: 8, height: 4, labelIds: [23, 1] },
      { split: 'val', city: 'lindau', base: 'lindau_000000_000003', width: 6, height: 3, labelIds: [8] },
    ]);
    const ds = openCityscapes(root, 'train');
    expect(ds.samples.map((s) => s.id)).toEqual(['aachen/aachen_000000_000002', 'bonn/bonn_000000_000001']);
    expect(ds.numClasses).toBe(19);
    expect(ds.hasUndefinedClass).toBe(true);
    const s = ds.load(ds.samples[1]!);
    expect([s.width, s.height]).toEqual([8, 4]);
    // Stripes of two pixels: road(7)->0, car(26)->13, unlabeled(0)->255, bicycle(33)->18.
    expect(Array.from(s.label.subarray(0, 8))).toEqual([0, 0, 13, 13, 255, 255, 18, 18]);
    expect(Array.from(s.image.subarray(0, 6))).toEqual([0, 0, 7, 1, 0, 7]);
    expect(openDataset('synthetic', root, 'val').samples).toHaveLength(1);
  });

  it('uses the official table', () => {
    expect(CITYSCAPES_LABEL_TO_TRAIN.length).toBe(34);
    expect(CITYSCAPES_LABEL_TO_TRAIN[7]).toBe(0);
    expect(CITYSCAPES_LABEL_TO_TRAIN[17]).toBe(5);
    expect(CITYSCAPES_LABEL_TO_TRAIN[18]).toBe(255);
    expect(CITYSCAPES_LABEL_TO_TRAIN[24]).toBe(11);
    expect(CITYSCAPES_LABEL_TO_TRAIN[30]).toBe(255);
    expect(CITYSCAPES_LABEL_TO_TRAIN[31]).toBe(16);
  });

  it('reports each kind of bad input with the file and the problem', () => {
    const root = tempDir('cs');
    const base = (n: number): string => `bonn_000000_00000${n}`;
    writeCityscapesFixture(root, [1, 2, 3, 4, 5].map((n) => ({ split: 'train', city: 'bonn', base: base(n), width: 8, height: 4, labelIds: [7, 8] })));
    const ds = openCityscapes(root, 'train');
    // 1: label missing; 2: corrupt image; 3: size mismatch; 4: label id 40; 5: fine.
    rmSync(cityscapesLabelPath(root, 'train', 'bonn', base(1)));
    writeFileSync(cityscapesImagePath(root, 'train', 'bonn', base(2)), Buffer.from('garbage'));
    writeGreyPng(cityscapesLabelPath(root, 'train', 'bonn', base(3)), { width: 4, height: 4, data: new Uint8Array(16).fill(7) });
    writeGreyPng(cityscapesLabelPath(root, 'train', 'bonn', base(4)), { width: 8, height: 4, data: new Uint8Array(32).fill(40) });
    const label1 = cityscapesLabelPath(root, 'train', 'bonn', base(1));
    expect(() => ds.load(ds.samples[0]!)).toThrow(`${label1}: missing file`);
    expect(() => ds.load(ds.samples[1]!)).toThrow(/bonn_000000_000002_leftImg8bit\.png: corrupt PNG/);
    expect(() => ds.load(ds.samples[2]!)).toThrow(/000003_gtFine_labelIds\.png: label size 4x4 does not match image size 8x4/);
    expect(() => ds.load(ds.samples[3]!)).toThrow(/000004_gtFine_labelIds\.png: label value 40 at \(x=0, y=0\) is outside the mapping/);
    expect(ds.load(ds.samples[4]!).label[0]).toBe(0);

    const result = checkDataset('cityscapes', root, ['train', 'val']);
    expect(result.samples).toEqual({ train: 5, val: 0 });
    const problems = result.problems.map((p) => `${p.file.slice(root.length)}: ${p.problem.replace(/ \([^()]*\)$/, '')}`);
    expect(problems).toEqual([
      `/gtFine/train/bonn/${base(1)}_gtFine_labelIds.png: missing file`,
      `/leftImg8bit/train/bonn/${base(2)}_leftImg8bit.png: corrupt PNG`,
      `/gtFine/train/bonn/${base(3)}_gtFine_labelIds.png: label size 4x4 does not match image size 8x4`,
      `/gtFine/train/bonn/${base(4)}_gtFine_labelIds.png: label value 40 at (x=0, y=0) is outside the mapping`,
      '/leftImg8bit/val: missing directory',
    ]);
  });

  it('calls a split with no images empty', () => {
    const root = tempDir('cs');
    writeCityscapesFixture(root, [{ split: 'train', city: 'bonn', base: 'bonn_000000_000001', width: 4, height: 4, labelIds: [7] }]);
    rmSync(cityscapesImagePath(root, 'train', 'bonn', 'bonn_000000_000001'));
    expect(() => openCityscapes(root, 'train')).toThrow(/leftImg8bit\/train: empty split "train"/);
  });
});

describe('VOC reader', () => {
  it('reads JPEGs and palette indices (not palette colours)', () => {
    const root = tempDir('voc');
    writeVocFixture(root, {
      train: [{ id: '2007_000001', width: 16, height: 8, values: [0, 15, 255, 20] }],
      val: [{ id: '2007_000002', width: 8, height: 8, values: [1] }, { id: '2007_000003', width: 8, height: 8, values: [2] }],
    });
    const ds = openVoc(root, 'train');
    expect(ds.hasUndefinedClass).toBe(false);
    expect(ds.numClasses).toBe(21);
    const s = ds.load(ds.samples[0]!);
    expect([s.width, s.height]).toEqual([16, 8]);
    expect(Array.from(s.label.subarray(0, 8))).toEqual([0, 0, 15, 15, 255, 255, 20, 20]);
    // JPEG is lossy, but a flat colour survives closely.
    expect(Math.abs(s.image[0]! - 200)).toBeLessThan(6);
    expect(Math.abs(s.image[1]! - 100)).toBeLessThan(6);
    expect(openDataset('voc', root, 'val').samples.map((x) => x.id)).toEqual(['2007_000002', '2007_000003']);
  });

  it('reports bad VOC input', () => {
    const root = tempDir('voc');
    const ok = (id: string): { id: string; width: number; height: number; values: number[] } => ({ id, width: 8, height: 8, values: [0, 1] });
    writeVocFixture(root, { train: [ok('a'), ok('b'), ok('c'), ok('d')], val: [] });
    writeFileSync(join(root, 'JPEGImages', 'a.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]));
    rmSync(join(root, 'SegmentationClass', 'b.png'));
    writePalettePng(join(root, 'SegmentationClass', 'c.png'), { width: 8, height: 8, data: new Uint8Array(64).fill(21) }, vocColorMap(256));
    writePalettePng(join(root, 'SegmentationClass', 'd.png'), { width: 8, height: 6, data: new Uint8Array(48) }, vocColorMap(256));
    const { problems } = checkDataset('voc', root, ['train', 'val', 'test']);
    const short = problems.map((p) => `${p.file.slice(root.length)}: ${p.problem.replace(/ \([^()]*\)$/, '')}`);
    expect(short).toEqual([
      '/JPEGImages/a.jpg: corrupt JPEG',
      '/SegmentationClass/b.png: missing file',
      '/SegmentationClass/c.png: label value 21 at (x=0, y=0) is outside the mapping',
      '/SegmentationClass/d.png: label size 8x6 does not match image size 8x8',
      '/ImageSets/Segmentation/val.txt: empty split "val": the list has no image ids',
      '/ImageSets/Segmentation/test.txt: missing file',
    ]);
  });
});
