// Where a rendered figure's text is: the pixels that change when the SVG's <text> elements are
// removed. resvg draws no text when it has no font, so a PNG without these pixels has no text.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRgbPng, type RgbImage } from '../../src/data/png.js';
import { svgToPng } from '../../src/figures/render.js';

/** A PNG buffer decoded by alseg's own reader (it reads files). */
export function decodePng(png: Buffer): RgbImage {
  const file = join(mkdtempSync(join(tmpdir(), 'alseg-figure-')), 'figure.png');
  writeFileSync(file, png);
  return readRgbPng(file);
}

/** Pixels of `png` (the rendering of `svg`) that its text drew: they differ from the text-less rendering and are not white. */
export function textPixels(svg: string, png: RgbImage): number {
  const bare = decodePng(svgToPng(svg.replace(/<text\b[^>]*>[\s\S]*?<\/text>/g, '')));
  let n = 0;
  for (let i = 0; i < png.width * png.height; i++) {
    const [r, g, b] = [png.data[3 * i], png.data[3 * i + 1], png.data[3 * i + 2]];
    const differs = r !== bare.data[3 * i] || g !== bare.data[3 * i + 1] || b !== bare.data[3 * i + 2];
    if (differs && r + g + b < 3 * 200) n++;
  }
  return n;
}
