// A folder of plain images (--dataset folder): classes.json is checked with clear errors, the pool
// loads without labels, the optional val/ split with them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDataset } from '../../src/data/check.js';
import { parseClassesFile } from '../../src/data/classes-file.js';
import { folderHasSplit } from '../../src/data/folder.js';
import { openDataset } from '../../src/data/open-dataset.js';
import { writeGreyPng } from '../../src/data/png.js';
import { writeImageFolder, streetScene } from '../run/human/fixtures.js';
import { tempDir } from './fixtures.js';

describe('classes.json', () => {
  const parse = (v: unknown) => parseClassesFile('c.json', typeof v === 'string' ? v : JSON.stringify(v));
  it('reads names and colours given as [r, g, b] or #rrggbb', () => {
    const c = parse({ classes: [{ name: 'sky', colour: [1, 2, 3] }, { name: 'road', color: '#ff0010' }] });
    expect(c.names).toEqual(['sky', 'road']);
    expect(Array.from(c.palette)).toEqual([1, 2, 3, 255, 0, 16]);
  });
  it('names the file and the class that is wrong', () => {
    expect(() => parse('{ nope')).toThrow(/^c\.json: not valid JSON/);
    expect(() => parse([1, 2])).toThrow('c.json: expected an object { "classes": [');
    expect(() => parse({ classes: [{ name: 'a', colour: [0, 0, 0] }] })).toThrow('c.json: needs 2 to 32 classes, has 1');
    expect(() => parse({ classes: [{ name: 'a', colour: [0, 0, 0] }, { name: '', colour: [0, 0, 0] }] })).toThrow('c.json: class 1: "name" must be a non-empty string');
    expect(() => parse({ classes: [{ name: 'a', colour: [0, 0, 0] }, { name: 'a', colour: [0, 0, 0] }] })).toThrow('c.json: class 1: name "a" appears twice');
    expect(() => parse({ classes: [{ name: 'a', colour: [0, 0, 0] }, { name: 'b' }] })).toThrow('c.json: class 1 ("b"): missing "colour"');
    expect(() => parse({ classes: [{ name: 'a', colour: [0, 0, 256] }, { name: 'b', colour: '#000' }] })).toThrow('c.json: class 0 ("a"): colour must be [r, g, b] with integers 0..255');
    expect(() => parse({ classes: [{ name: 'a', colour: '#00000g' }, { name: 'b', colour: [1, 1, 1] }] })).toThrow('c.json: class 0 ("a"): colour "#00000g" is not #rrggbb');
  });
});

describe('folder dataset', () => {
  it('lists the pool, loads it without labels, and the val split with them', () => {
    const root = writeImageFolder(join(tempDir('folder'), 'imgs'), { count: 3, height: 20, width: 30, val: 1 });
    writeFileSync(join(root, 'notes.txt'), 'not an image');
    const train = openDataset('folder', root, 'train');
    expect(train.samples.map((s) => s.id)).toEqual(['street-0', 'street-1', 'street-2']);
    expect(train.classNames).toEqual(['sky', 'road', 'vegetation', 'car']);
    expect([train.numClasses, train.hasUndefinedClass, train.labelled]).toEqual([4, false, false]);
    const s = train.load(train.samples[1]!);
    expect([s.width, s.height]).toEqual([30, 20]);
    expect(s.label.every((v) => v === 255)).toBe(true);
    expect(Array.from(s.image.subarray(0, 6))).toEqual(Array.from(streetScene(1, 20, 30).image.subarray(0, 6)));

    expect(folderHasSplit(root, 'val')).toBe(true);
    const val = openDataset('folder', root, 'val');
    expect(val.labelled).toBe(true);
    expect(Array.from(val.load(val.samples[0]!).label)).toEqual(Array.from(streetScene(3, 20, 30).label));
    expect(checkDataset('folder', root, ['train', 'val']).problems).toEqual([]);
  });

  it('reports a missing classes.json, an empty folder, clashing names and bad labels with the file', () => {
    const root = join(tempDir('folder'), 'imgs');
    mkdirSync(root, { recursive: true });
    expect(() => openDataset('folder', root, 'train')).toThrow(`${join(root, 'classes.json')}: missing file`);
    writeImageFolder(root, { count: 1, height: 8, width: 8, val: 1 });
    expect(folderHasSplit(root, 'test')).toBe(false);
    writeFileSync(join(root, 'street-0.jpg'), 'x');
    expect(() => openDataset('folder', root, 'train')).toThrow(`${join(root, 'street-0.png')}: has the same name as street-0.jpg apart from the extension`);
    const labels = join(root, 'val', 'labels', 'val-0.png');
    writeGreyPng(labels, { width: 8, height: 8, data: new Uint8Array(64).fill(4) });
    const val = openDataset('folder', root, 'val');
    expect(() => val.load(val.samples[0]!)).toThrow(`${labels}: label value 4 at (x=0, y=0) is outside the mapping (valid: class indices 0..3 of classes.json and 255)`);
    const empty = join(tempDir('folder'), 'e');
    writeImageFolder(empty, { count: 0 });
    expect(() => openDataset('folder', empty, 'train')).toThrow(`${empty}: no images (.png, .jpg, .jpeg) in the folder`);
  });
});
