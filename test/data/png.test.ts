import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors.js';
import {
  readGrey16Png, readIndexPng, readRgbPng, writeGrey16Png, writeGreyPng, writePalettePng, writeRgbPng,
} from '../../src/data/png.js';
import { tempDir } from './fixtures.js';

describe('png', () => {
  it('round-trips RGB, 8-bit grey, 16-bit grey and palette indices', () => {
    const dir = tempDir('png');
    const w = 7;
    const h = 5;
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 256);
    writeRgbPng(join(dir, 'rgb.png'), { width: w, height: h, data: rgb });
    expect(readRgbPng(join(dir, 'rgb.png'))).toEqual({ width: w, height: h, data: rgb });

    const grey = Uint8Array.from({ length: w * h }, (_, i) => (i * 11) % 256);
    writeGreyPng(join(dir, 'grey.png'), { width: w, height: h, data: grey });
    expect(readIndexPng(join(dir, 'grey.png')).data).toEqual(grey);

    const ids = Uint16Array.from({ length: w * h }, (_, i) => i * 1800);
    writeGrey16Png(join(dir, 'ids.png'), { width: w, height: h, data: ids });
    expect(readGrey16Png(join(dir, 'ids.png')).data).toEqual(ids);

    // Two palette entries share a colour: only raw indices can tell them apart.
    const palette = Uint8Array.from([0, 0, 0, 10, 20, 30, 10, 20, 30]);
    const idx = Uint8Array.from({ length: w * h }, (_, i) => i % 3);
    writePalettePng(join(dir, 'pal.png'), { width: w, height: h, data: idx }, palette);
    const back = readIndexPng(join(dir, 'pal.png'));
    expect(back.paletted).toBe(true);
    expect(back.data).toEqual(idx);
    // And a standard decoder agrees on the colours.
    const viaPngjs = PNG.sync.read(readFileSync(join(dir, 'pal.png')));
    expect([viaPngjs.data[4], viaPngjs.data[5], viaPngjs.data[6]]).toEqual([10, 20, 30]);
  });

  it('reads PNGs written by pngjs (filters it chooses)', () => {
    const dir = tempDir('png');
    const png = new PNG({ width: 9, height: 4 });
    for (let i = 0; i < 36; i++) png.data.set([i * 7, 255 - i, i, 255], 4 * i);
    writeFileSync(join(dir, 'x.png'), PNG.sync.write(png, { colorType: 0 }));
    const back = readIndexPng(join(dir, 'x.png'));
    const expected = PNG.sync.read(readFileSync(join(dir, 'x.png'))).data.filter((_, k) => k % 4 === 0);
    expect(back.width).toBe(9);
    expect(Array.from(back.data)).toEqual(Array.from(expected));
    expect(new Set(back.data).size).toBeGreaterThan(10);
  });

  it('names the file and the problem', () => {
    const dir = tempDir('png');
    const missing = join(dir, 'nope.png');
    expect(() => readRgbPng(missing)).toThrow(DataError);
    expect(() => readRgbPng(missing)).toThrow(`${missing}: missing file`);
    const junk = join(dir, 'junk.png');
    writeFileSync(junk, 'not a png at all');
    expect(() => readIndexPng(junk)).toThrow(/junk\.png: corrupt PNG/);
    expect(() => readRgbPng(junk)).toThrow(/junk\.png: corrupt PNG/);
    // A truncated real PNG.
    writeGreyPng(join(dir, 'ok.png'), { width: 4, height: 4, data: new Uint8Array(16) });
    const bytes = readFileSync(join(dir, 'ok.png'));
    writeFileSync(join(dir, 'cut.png'), bytes.subarray(0, bytes.length - 20));
    expect(() => readIndexPng(join(dir, 'cut.png'))).toThrow(/cut\.png: corrupt PNG/);
    // RGB where a label map is expected.
    writeRgbPng(join(dir, 'rgb.png'), { width: 2, height: 2, data: new Uint8Array(12) });
    expect(() => readIndexPng(join(dir, 'rgb.png'))).toThrow(/rgb\.png: expected an 8-bit greyscale or palette PNG/);
  });

  it('writes atomically: no temporary files are left behind', () => {
    const dir = tempDir('png');
    for (let k = 0; k < 3; k++) writeGreyPng(join(dir, 'a.png'), { width: 2, height: 2, data: new Uint8Array(4).fill(k) });
    expect(readdirSync(dir)).toEqual(['a.png']);
    expect(readIndexPng(join(dir, 'a.png')).data[0]).toBe(2);
  });
});
