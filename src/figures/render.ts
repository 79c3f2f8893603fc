// A Vega-Lite spec to SVG (compiled by vega-lite, drawn by vega's headless View) and to PNG
// (resvg, with the DejaVu Sans files of the npm package dejavu-fonts-ttf): no browser, no canvas,
// no system fonts, so a figure comes out the same on every machine.
import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** PNG pixels per SVG pixel: 2 keeps text sharp on high-density screens. */
export const PNG_SCALE = 2;

const FONT_FAMILY = 'DejaVu Sans';

/** The font files the PNG's text is drawn with (regular and bold); resvg draws no text at all without one. */
export function fontFiles(): string[] {
  const require = createRequire(import.meta.url);
  return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((name) => {
    try {
      return require.resolve(`dejavu-fonts-ttf/ttf/${name}`);
    } catch {
      throw new Error(`dejavu-fonts-ttf/ttf/${name}: not found; figures need the npm package dejavu-fonts-ttf (npm ci)`);
    }
  });
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The SVG as a PNG on white, PNG_SCALE times its size. */
export function svgToPng(svg: string): Buffer {
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: PNG_SCALE },
    font: { loadSystemFonts: false, fontFiles: fontFiles(), defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
  });
  return resvg.render().asPng();
}

export async function renderFigure(spec: TopLevelSpec): Promise<{ svg: string; png: Buffer }> {
  const svg = await renderSvg(spec);
  return { svg, png: svgToPng(svg) };
}
