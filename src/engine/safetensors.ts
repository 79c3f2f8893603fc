// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N
// bytes of JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string:
// string}}, then the raw little-endian data, offsets relative to its start. Writes are atomic: a
// temporary file in the same directory, fsynced, then renamed over the target, so a kill leaves
// either the old file or the new one, never a torn one.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Element types alseg reads. Writes use F32, I32 and U32; F16/BF16/F64/I64 are converted on read. */
export type SafeDType = 'F32' | 'I32' | 'U32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'U8' | 'I8' | 'BOOL' | 'I16' | 'U16' | 'U64';

const ITEM_BYTES: Record<SafeDType, number> = { F32: 4, I32: 4, U32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, U8: 1, I8: 1, BOOL: 1, I16: 2, U16: 2, U64: 8 };

export interface SafeTensor {
  dtype: SafeDType;
  shape: number[];
  /** Raw little-endian bytes (a view into the file's buffer on read). */
  bytes: Uint8Array;
}

export interface SafeTensorsFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

export type WritableArray = Float32Array | Int32Array | Uint32Array | BigInt64Array;

/** A tensor to write: its values and shape (dtype from the array type). */
export interface TensorData {
  data: WritableArray;
  shape: readonly number[];
}

function dtypeOf(a: WritableArray): SafeDType {
  return a instanceof Float32Array ? 'F32' : a instanceof Int32Array ? 'I32' : a instanceof BigInt64Array ? 'I64' : 'U32';
}

function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function headerOf(entries: [string, TensorData][], metadata: Record<string, string>): { header: Uint8Array; total: number } {
  const json: Record<string, unknown> = {};
  if (Object.keys(metadata).length) json.__metadata__ = metadata;
  let at = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new Error('safetensors: "__metadata__" is not a valid tensor name');
    if (t.data.length !== count(t.shape)) throw new Error(`safetensors: tensor "${name}" has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    const end = at + t.data.byteLength;
    json[name] = { dtype: dtypeOf(t.data), shape: [...t.shape], data_offsets: [at, end] };
    at = end;
  }
  let text = JSON.stringify(json);
  // Pad with spaces so the data starts 8-byte aligned (as the reference writer does).
  text += ' '.repeat((8 - ((8 + Buffer.byteLength(text)) % 8)) % 8);
  return { header: new TextEncoder().encode(text), total: at };
}

function lengthPrefix(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

function bytesOf(a: WritableArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** The whole file in memory (small files, tests). */
export function encodeSafetensors(tensors: Record<string, TensorData> | Map<string, TensorData>, metadata: Record<string, string> = {}): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const { header, total } = headerOf(entries, metadata);
  const out = new Uint8Array(8 + header.length + total);
  out.set(lengthPrefix(header.length), 0);
  out.set(header, 8);
  let at = 8 + header.length;
  for (const [, t] of entries) {
    out.set(bytesOf(t.data), at);
    at += t.data.byteLength;
  }
  return out;
}

/** Writes a safetensors file atomically (temp file + fsync + rename), streaming tensor by tensor. */
export async function writeSafetensors(path: string, tensors: Record<string, TensorData> | Map<string, TensorData>, metadata: Record<string, string> = {}): Promise<void> {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const { header } = headerOf(entries, metadata);
  await writeAtomic(path, async (write) => {
    await write(lengthPrefix(header.length));
    await write(header);
    for (const [, t] of entries) await write(bytesOf(t.data));
  });
}

/** Runs `fill` against a temporary file next to `path`, then renames it over `path`. */
export async function writeAtomic(path: string, fill: (write: (b: Uint8Array) => Promise<void>) => Promise<void>): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fill(async (b) => {
      let off = 0;
      while (off < b.byteLength) off += (await fh.write(b, off, b.byteLength - off)).bytesWritten;
    });
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
  // Make the rename itself durable where the platform lets us open a directory.
  try {
    const dir = await open(dirname(path), 'r');
    await dir.sync().catch(() => {});
    await dir.close();
  } catch {
    /* not supported here (e.g. Windows) */
  }
}

/** Parses and validates a safetensors file held in memory. `source` names it in errors. */
export function decodeSafetensors(file: Uint8Array, source = 'safetensors data'): SafeTensorsFile {
  const bad = (why: string) => new Error(`${source} is not a valid safetensors file: ${why}`);
  if (file.byteLength < 8) throw bad(`${file.byteLength} bytes, shorter than the 8-byte header length`);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(file.byteLength - 8)) throw bad(`header length ${n64} exceeds the ${file.byteLength - 8} bytes after it (truncated or corrupt)`);
  const n = Number(n64);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(file.subarray(8, 8 + n)));
  } catch (e) {
    throw bad(`header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw bad('header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = file.byteLength - dataStart;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (v === null || typeof v !== 'object' || Object.values(v).some((x) => typeof x !== 'string')) throw bad('__metadata__ must map strings to strings');
      metadata = v as Record<string, string>;
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e?.dtype !== 'string' || !(e.dtype in ITEM_BYTES)) throw bad(`tensor "${name}" has an unknown dtype ${JSON.stringify(e?.dtype)}`);
    const dtype = e.dtype as SafeDType;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`tensor "${name}" has an invalid shape ${JSON.stringify(e.shape)}`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isInteger(o) && o >= 0) || off[0] > off[1]) {
      throw bad(`tensor "${name}" has invalid data_offsets ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    const shape = e.shape as number[];
    const want = count(shape) * ITEM_BYTES[dtype];
    if (end - begin !== want) throw bad(`tensor "${name}" (${dtype} [${shape.join(', ')}]) should take ${want} bytes, its offsets give ${end - begin}`);
    if (end > dataLen) throw bad(`tensor "${name}" ends at byte ${end} of a ${dataLen}-byte data section (truncated)`);
    spans.push([begin, end, name]);
    tensors.set(name, { dtype, shape, bytes: file.subarray(dataStart + begin, dataStart + end) });
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] < spans[i - 1][1]) throw bad(`tensors "${spans[i - 1][2]}" and "${spans[i][2]}" overlap`);
  }
  return { tensors, metadata };
}

export async function readSafetensors(path: string): Promise<SafeTensorsFile> {
  const buf = await readFile(path);
  return decodeSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** A tensor's values as float32 (F16, BF16, F64 and integer types converted). */
export function toFloat32(t: SafeTensor): Float32Array {
  const n = count(t.shape);
  const dv = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const out = new Float32Array(n);
  switch (t.dtype) {
    case 'F32':
      return new Float32Array(t.bytes.slice().buffer);
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = f16ToF32(dv.getUint16(2 * i, true));
      break;
    case 'BF16': {
      const u = new Uint32Array(1);
      const f = new Float32Array(u.buffer);
      for (let i = 0; i < n; i++) {
        u[0] = dv.getUint16(2 * i, true) << 16;
        out[i] = f[0];
      }
      break;
    }
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true);
      break;
    case 'U32':
      for (let i = 0; i < n; i++) out[i] = dv.getUint32(4 * i, true);
      break;
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(dv.getBigInt64(8 * i, true));
      break;
    default:
      throw new Error(`toFloat32: dtype ${t.dtype} is not converted`);
  }
  return out;
}

/** Values of an I32 / U32 / F32 tensor in its own type (copied, so alignment never matters). */
export function toTyped(t: SafeTensor): Float32Array | Int32Array | Uint32Array {
  const copy = t.bytes.slice().buffer;
  if (t.dtype === 'F32') return new Float32Array(copy);
  if (t.dtype === 'I32') return new Int32Array(copy);
  if (t.dtype === 'U32') return new Uint32Array(copy);
  throw new Error(`toTyped: dtype ${t.dtype} has no alseg tensor type`);
}
