// A minimal PNG codec for the cases pngjs does not cover: pngjs always expands palette images to
// RGBA (VOC label maps need the palette *indices*) and has no palette encoder (test fixtures and
// visualisations need one). Non-interlaced images only; CRCs are checked.
import { deflateSync, inflateSync } from 'node:zlib';

export interface RawPng {
  width: number;
  height: number;
  bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA */
  colorType: number;
  channels: number;
  /** Samples, row-major, `channels` per pixel; 16-bit images in a Uint16Array, others one byte each. */
  samples: Uint8Array | Uint16Array;
  /** RGB triples from PLTE, when present. */
  palette: Uint8Array | null;
}

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = (CRC_TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/** Decodes without expanding palettes or rescaling bit depths. Throws plain Errors; callers add the file. */
export function decodePngRaw(buf: Uint8Array): RawPng {
  if (buf.length < 8 || !SIGNATURE.equals(Buffer.from(buf.buffer, buf.byteOffset, 8))) {
    throw new Error('not a PNG file (bad signature)');
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 8;
  let width = 0;
  let height = 0;
  let bitDepth = 0;
  let colorType = -1;
  let palette: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let sawEnd = false;
  while (pos < buf.length) {
    if (pos + 12 > buf.length) throw new Error('truncated chunk header');
    const len = view.getUint32(pos);
    const type = String.fromCharCode(buf[pos + 4]!, buf[pos + 5]!, buf[pos + 6]!, buf[pos + 7]!);
    const dataStart = pos + 8;
    const dataEnd = dataStart + len;
    if (dataEnd + 4 > buf.length) throw new Error(`truncated ${type} chunk`);
    if (crc32(buf, pos + 4, dataEnd) !== view.getUint32(dataEnd)) throw new Error(`CRC mismatch in ${type} chunk`);
    const data = buf.subarray(dataStart, dataEnd);
    if (type === 'IHDR') {
      width = view.getUint32(dataStart);
      height = view.getUint32(dataStart + 4);
      bitDepth = data[8]!;
      colorType = data[9]!;
      if (data[12] !== 0) throw new Error('interlaced PNGs are not supported');
    } else if (type === 'PLTE') {
      palette = Uint8Array.from(data);
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      sawEnd = true;
      break;
    }
    pos = dataEnd + 4;
  }
  if (colorType < 0) throw new Error('missing IHDR chunk');
  if (!sawEnd) throw new Error('missing IEND chunk (truncated file?)');
  const channels = CHANNELS[colorType];
  if (channels === undefined) throw new Error(`unknown colour type ${colorType}`);
  if (width === 0 || height === 0) throw new Error('zero image size');
  if (colorType === 3 && palette === null) throw new Error('palette image without PLTE chunk');
  let inflated: Buffer;
  try {
    inflated = inflateSync(Buffer.concat(idat));
  } catch (err) {
    throw new Error(`corrupt image data (${err instanceof Error ? err.message : String(err)})`);
  }
  const bitsPerPixel = bitDepth * channels;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  if (inflated.length < (stride + 1) * height) throw new Error('image data shorter than the header says');
  const rows = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = inflated[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    const up = dst - stride;
    for (let i = 0; i < stride; i++) {
      const raw = inflated[src + i]!;
      const a = i >= bpp ? rows[dst + i - bpp]! : 0;
      const b = y > 0 ? rows[up + i]! : 0;
      const c = y > 0 && i >= bpp ? rows[up + i - bpp]! : 0;
      let v: number;
      switch (filter) {
        case 0: v = raw; break;
        case 1: v = raw + a; break;
        case 2: v = raw + b; break;
        case 3: v = raw + ((a + b) >> 1); break;
        case 4: v = raw + paeth(a, b, c); break;
        default: throw new Error(`bad filter type ${filter} in row ${y}`);
      }
      rows[dst + i] = v & 0xff;
    }
  }
  const n = width * height * channels;
  let samples: Uint8Array | Uint16Array;
  if (bitDepth === 8) {
    samples = rows.length === n ? rows : rows.slice(0, n);
  } else if (bitDepth === 16) {
    samples = new Uint16Array(n);
    for (let y = 0, k = 0; y < height; y++) {
      for (let i = 0; i < width * channels; i++, k++) samples[k] = (rows[y * stride + 2 * i]! << 8) | rows[y * stride + 2 * i + 1]!;
    }
  } else if (bitDepth === 1 || bitDepth === 2 || bitDepth === 4) {
    samples = new Uint8Array(n);
    const mask = (1 << bitDepth) - 1;
    for (let y = 0, k = 0; y < height; y++) {
      for (let i = 0; i < width * channels; i++, k++) {
        const bit = i * bitDepth;
        samples[k] = (rows[y * stride + (bit >> 3)]! >> (8 - bitDepth - (bit & 7))) & mask;
      }
    }
  } else {
    throw new Error(`unsupported bit depth ${bitDepth}`);
  }
  return { width, height, bitDepth, colorType, channels, samples, palette };
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
  return out;
}

/**
 * Encodes 8-bit grey (1 channel), RGB (3) or palette (1 channel + palette) images, or 16-bit grey.
 * Each row takes the filter with the smallest sum of absolute residuals (the usual heuristic), so
 * output is compact and, given the same zlib, byte-identical for the same input.
 */
export function encodePngRaw(img: {
  width: number;
  height: number;
  colorType: 0 | 2 | 3;
  bitDepth: 8 | 16;
  samples: Uint8Array | Uint16Array;
  palette?: Uint8Array;
}): Buffer {
  const { width, height, colorType, bitDepth } = img;
  const channels = colorType === 2 ? 3 : 1;
  if (img.samples.length !== width * height * channels) throw new Error('encodePngRaw: sample count does not match size');
  if (bitDepth === 16 && colorType !== 0) throw new Error('encodePngRaw: 16-bit only for grey');
  const bpp = channels * (bitDepth / 8);
  const stride = width * bpp;
  const raw = new Uint8Array(stride * height);
  if (bitDepth === 16) {
    for (let i = 0; i < img.samples.length; i++) {
      raw[2 * i] = (img.samples[i]! >> 8) & 0xff;
      raw[2 * i + 1] = img.samples[i]! & 0xff;
    }
  } else {
    raw.set(img.samples);
  }
  const out = new Uint8Array((stride + 1) * height);
  const trial = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    let best = -1;
    let bestCost = Infinity;
    // Palette indices are not magnitudes: predicting them only scrambles runs, so keep filter 0.
    const filters = colorType === 3 ? [0] : [0, 1, 2, 3, 4];
    for (const f of filters) {
      let cost = 0;
      for (let i = 0; i < stride; i++) {
        const x = raw[row + i]!;
        const a = i >= bpp ? raw[row + i - bpp]! : 0;
        const b = y > 0 ? raw[row - stride + i]! : 0;
        const c = y > 0 && i >= bpp ? raw[row - stride + i - bpp]! : 0;
        const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : paeth(a, b, c);
        const r = (x - pred) & 0xff;
        trial[i] = r;
        cost += r < 128 ? r : 256 - r;
      }
      if (cost < bestCost) {
        bestCost = cost;
        best = f;
        out.set(trial, y * (stride + 1) + 1);
      }
    }
    out[y * (stride + 1)] = best;
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  const parts = [SIGNATURE, chunk('IHDR', ihdr)];
  if (colorType === 3) {
    if (!img.palette || img.palette.length % 3 !== 0 || img.palette.length === 0) throw new Error('encodePngRaw: palette must be RGB triples');
    parts.push(chunk('PLTE', img.palette));
  }
  parts.push(chunk('IDAT', deflateSync(out, { level: 9 })), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}
