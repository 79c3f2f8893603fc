// Colour preprocessing for the superpixel algorithms.

/**
 * Histogram equalisation with one histogram over all three RGB channels together, as the
 * reference preprocesses SEEDS input (docs/method.md, "Superpixels"). OpenCV's equalizeHist mapping.
 */
export function equalizeJoint(rgb: Uint8Array): Uint8Array {
  const hist = new Float64Array(256);
  for (const v of rgb) hist[v]! += 1;
  let cdfMin = 0;
  for (let v = 0; v < 256; v++) {
    if (hist[v]! > 0) {
      cdfMin = hist[v]!;
      break;
    }
  }
  const total = rgb.length;
  const lut = new Uint8Array(256);
  let cdf = 0;
  for (let v = 0; v < 256; v++) {
    cdf += hist[v]!;
    lut[v] = total === cdfMin ? v : Math.max(0, Math.min(255, Math.round(((cdf - cdfMin) * 255) / (total - cdfMin))));
  }
  const out = new Uint8Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) out[i] = lut[rgb[i]!]!;
  return out;
}

/**
 * How hue enters the histogram bins. 'normalized' divides hue by 360 first (measured better);
 * 'opencv' bins the raw 0..360 hue as OpenCV does for float input, min(int(h * bins), bins - 1),
 * which sends almost every hue to the top bin.
 */
export type HueMode = 'normalized' | 'opencv';

/** Per-pixel joint HSV histogram bin in 0..bins^3-1, from 8-bit RGB (OpenCV's float HSV). */
export function hsvBins(rgb: Uint8Array, bins: number, hue: HueMode): Uint16Array {
  const n = rgb.length / 3;
  const out = new Uint16Array(n);
  const top = bins - 1;
  for (let i = 0; i < n; i++) {
    const r = rgb[3 * i]! / 255;
    const g = rgb[3 * i + 1]! / 255;
    const b = rgb[3 * i + 2]! / 255;
    const v = Math.max(r, g, b);
    const mn = Math.min(r, g, b);
    const d = v - mn;
    const s = v > 0 ? d / v : 0;
    let h = 0;
    if (d > 0) {
      if (v === r) h = (60 * (g - b)) / d;
      else if (v === g) h = 120 + (60 * (b - r)) / d;
      else h = 240 + (60 * (r - g)) / d;
      if (h < 0) h += 360;
    }
    const hv = hue === 'normalized' ? h / 360 : h;
    const hb = Math.min(Math.floor(hv * bins), top);
    const sb = Math.min(Math.floor(s * bins), top);
    const vb = Math.min(Math.floor(v * bins), top);
    out[i] = hb + bins * (sb + bins * vb);
  }
  return out;
}

/** CIELAB (D65) from 8-bit sRGB, three floats per pixel: the colour space SLIC measures in. */
export function rgbToLab(rgb: Uint8Array): Float32Array {
  const n = rgb.length / 3;
  const out = new Float32Array(n * 3);
  const lin = new Float32Array(256);
  for (let v = 0; v < 256; v++) {
    const c = v / 255;
    lin[v] = c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }
  const f = (t: number): number => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  for (let i = 0; i < n; i++) {
    const r = lin[rgb[3 * i]!]!;
    const g = lin[rgb[3 * i + 1]!]!;
    const b = lin[rgb[3 * i + 2]!]!;
    const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
    const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
    const fx = f(x);
    const fy = f(y);
    const fz = f(z);
    out[3 * i] = 116 * fy - 16;
    out[3 * i + 1] = 500 * (fx - fy);
    out[3 * i + 2] = 200 * (fy - fz);
  }
  return out;
}
