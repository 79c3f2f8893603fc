// The rules of a person's answer (validateAnswer, clicks) and the pictures of a query.
import { describe, expect, it } from 'vitest';
import { contextImage, PATCH_PIXELS, queryWindow, regionBox, regionPatch } from '../../../src/run/human/crops.js';
import { AnswerError, answerClicks, validateAnswer, type QueryFile } from '../../../src/run/human/queries.js';
import type { RegionMap } from '../../../src/superpixels/region-map.js';

function queryFile(mode: 'multi' | 'dominant'): QueryFile {
  const classes = ['a', 'b', 'c'].map((name) => ({ name, colour: [0, 0, 0] as [number, number, number] }));
  const q = { image: 0, sample: 's', region: 0, bbox: [0, 0, 1, 1] as [number, number, number, number], pixels: 1, window: { x: 0, y: 0, size: 1 } };
  return { version: 1, round: 2, mode, classes, offered: [0, 1, 2], queries: [{ ...q, id: 0 }, { ...q, id: 1 }] };
}

function rejects(q: QueryFile, body: unknown, status: number, message: string | RegExp): void {
  let err: unknown;
  try {
    validateAnswer(q, body);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(AnswerError);
  expect((err as AnswerError).status).toBe(status);
  expect((err as AnswerError).message).toMatch(message);
}

describe('answers', () => {
  it('a multi-class answer costs one click per class; "unsure" costs none', () => {
    const q = queryFile('multi');
    const a = validateAnswer(q, { id: 1, classes: [2, 0, 2], seconds: 1.5 });
    expect(a.id).toBe(1);
    expect(a.answer).toMatchObject({ classes: [0, 2], unsure: false, seconds: 1.5 });
    expect(answerClicks(a.answer, 'multi')).toBe(2);
    const u = validateAnswer(q, { id: 0, unsure: true });
    expect(u.answer).toMatchObject({ classes: [], unsure: true });
    expect(answerClicks(u.answer, 'multi')).toBe(0);
  });
  it('a dominant answer names one class and costs one click', () => {
    const q = queryFile('dominant');
    expect(answerClicks(validateAnswer(q, { id: 0, classes: [2] }).answer, 'dominant')).toBe(1);
    rejects(q, { id: 0, classes: [0, 1] }, 400, 'a dominant-class answer names one class, got 2');
    rejects(q, { id: 0, classes: [] }, 400, /needs a class, or "unsure"/);
  });
  it('malformed answers are refused with a 4xx and the reason', () => {
    const q = queryFile('multi');
    rejects(q, [1], 400, /an answer is a JSON object/);
    rejects(q, { id: '0', classes: [1] }, 400, /"id" must be a query number/);
    rejects(q, { id: 7, classes: [1] }, 404, 'unknown query 7: round 2 has queries 0..1');
    rejects(q, { id: 0, classes: [3] }, 400, 'class 3 is out of range: the classes are 0..2');
    rejects(q, { id: 0, classes: [1.5] }, 400, /class 1.5 is out of range/);
    rejects(q, { id: 0, classes: 1 }, 400, /"classes" must be a list/);
    rejects(q, { id: 0, classes: [] }, 400, 'empty multi-class answer: choose at least one class, or answer "unsure"');
    rejects(q, { id: 0, classes: [1], unsure: true }, 400, /an "unsure" answer names no classes/);
    rejects(q, { id: 0, classes: [1], seconds: -1 }, 400, /"seconds" must be a number of seconds/);
    rejects(q, { id: 0, classes: [1], unsure: 'yes' }, 400, /"unsure" must be true or false/);
  });
});

describe('query pictures', () => {
  // A 40x24 image, region 1 the rectangle x 10..17, y 6..11, region 0 the rest.
  const map: RegionMap = { width: 40, height: 24, count: 2, ids: new Int32Array(40 * 24) };
  for (let y = 6; y < 12; y++) for (let x = 10; x < 18; x++) map.ids[y * 40 + x] = 1;
  const image = { width: 40, height: 24, data: new Uint8Array(40 * 24 * 3).fill(100) };

  it('the window is a square around the region, inside the image', () => {
    const { bbox, pixels } = regionBox(map, 1);
    expect(bbox).toEqual([10, 6, 18, 12]);
    expect(pixels).toBe(48);
    // Twice the larger side is 16, below the 32 px minimum, which the image's height caps at 24;
    // centred at x 14, and at y 9 moved down to fit.
    expect(queryWindow(bbox, 40, 24)).toEqual({ x: 2, y: 0, size: 24 });
    expect(queryWindow([30, 0, 40, 4], 100, 100)).toEqual({ x: 19, y: 0, size: 32 });
    expect(() => regionBox(map, 5)).toThrow(/region 5 has no pixels/);
  });

  it('the patch is enlarged by a whole factor with the outline red inside, white outside', () => {
    const win = queryWindow(regionBox(map, 1).bbox, 40, 24);
    const p = regionPatch(image, map, 1, win);
    const f = Math.floor(PATCH_PIXELS / 24);
    expect([p.width, p.height]).toEqual([24 * f, 24 * f]);
    const at = (x: number, y: number) => Array.from(p.data.subarray(3 * (y * p.width + x), 3 * (y * p.width + x) + 3));
    // Image x 10 (the region's left edge) is output x 8f.
    expect(at(8 * f, 9 * f)).toEqual([230, 25, 25]); // left edge of the region, inside
    expect(at(8 * f + 1, 9 * f)).toEqual([230, 25, 25]);
    expect(at(8 * f - 1, 9 * f)).toEqual([255, 255, 255]); // just outside
    expect(at(8 * f - 2, 9 * f)).toEqual([100, 100, 100]);
    expect(at(12 * f, 9 * f)).toEqual([100, 100, 100]); // the region's middle is the image
    expect(at(2, 2)).toEqual([100, 100, 100]);
    const c = contextImage(image, win);
    expect([c.width, c.height]).toEqual([40, 24]);
    expect(Array.from(c.data.subarray(3 * 2, 3 * 3))).toEqual([230, 25, 25]); // the window's corner (2, 0)
    expect(Array.from(c.data.subarray(3 * (5 * 40 + 5), 3 * (5 * 40 + 5) + 3))).toEqual([100, 100, 100]);
  });
});
