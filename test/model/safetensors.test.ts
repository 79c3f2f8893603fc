// The safetensors reader/writer: round trip with metadata, 8-byte aligned data, dtype
// conversion on read, atomic writes, and clear errors on damaged files.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, readSafetensors, toFloat32, toTyped, writeSafetensors } from '../../src/engine/safetensors.js';

function header(text: string, data = new Uint8Array(0)): Uint8Array {
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips tensors and metadata; data starts 8-byte aligned', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alseg-st-'));
    const path = join(dir, 'a.safetensors');
    const a = Float32Array.from([1.5, -2, 3.25, 0, 7, 8]);
    const b = Int32Array.from([-1, 2, 3]);
    await writeSafetensors(path, { 'x.weight': { data: a, shape: [2, 3] }, idx: { data: b, shape: [3] }, empty: { data: new Float32Array(0), shape: [0, 4] } }, { note: 'hi' });
    const bytes = readFileSync(path);
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const f = await readSafetensors(path);
    expect(f.metadata).toEqual({ note: 'hi' });
    expect(f.tensors.get('x.weight')!.shape).toEqual([2, 3]);
    expect(Array.from(toFloat32(f.tensors.get('x.weight')!))).toEqual(Array.from(a));
    expect(Array.from(toTyped(f.tensors.get('idx')!))).toEqual([-1, 2, 3]);
    expect(f.tensors.get('empty')!.shape).toEqual([0, 4]);
    expect(readdirSync(dir)).toEqual(['a.safetensors']); // no temporary file left behind
    // Same bytes from the in-memory encoder.
    expect(Buffer.from(encodeSafetensors({ 'x.weight': { data: a, shape: [2, 3] }, idx: { data: b, shape: [3] }, empty: { data: new Float32Array(0), shape: [0, 4] } }, { note: 'hi' }))).toEqual(bytes);
  });

  it('converts F16, BF16, F64 and I64 to float32 on read', () => {
    const data = new Uint8Array(2 * 3 + 2 * 2 + 8 * 2 + 8);
    const dv = new DataView(data.buffer);
    [0x3c00, 0xc000, 0x3555].forEach((h, i) => dv.setUint16(2 * i, h, true)); // 1, -2, ~0.3333
    [0x3f80, 0x4049].forEach((h, i) => dv.setUint16(6 + 2 * i, h, true)); // 1, 3.140625
    dv.setFloat64(10, 0.5, true);
    dv.setFloat64(18, -4, true);
    dv.setBigInt64(26, 42n, true);
    const f = decodeSafetensors(
      header(
        JSON.stringify({
          h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
          b: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] },
          d: { dtype: 'F64', shape: [2], data_offsets: [10, 26] },
          n: { dtype: 'I64', shape: [], data_offsets: [26, 34] },
        }),
        data,
      ),
    );
    expect(Array.from(toFloat32(f.tensors.get('h')!))).toEqual([1, -2, Math.fround(0.333251953125)]);
    expect(Array.from(toFloat32(f.tensors.get('b')!))).toEqual([1, 3.140625]);
    expect(Array.from(toFloat32(f.tensors.get('d')!))).toEqual([0.5, -4]);
    expect(Array.from(toFloat32(f.tensors.get('n')!))).toEqual([42]);
  });

  it('damaged files give errors that say what is wrong', () => {
    expect(() => decodeSafetensors(new Uint8Array(4), 'f')).toThrow(/f is not a valid safetensors file: 4 bytes/);
    expect(() => decodeSafetensors(header('{"a": 1}').subarray(0, 10), 'f')).toThrow(/header length 8 exceeds the 2 bytes after it \(truncated or corrupt\)/);
    expect(() => decodeSafetensors(header('{not json'), 'f')).toThrow(/header is not valid JSON/);
    expect(() => decodeSafetensors(header(JSON.stringify({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }), new Uint8Array(8)), 'f')).toThrow(
      /tensor "w" ends at byte 16 of a 8-byte data section \(truncated\)/,
    );
    expect(() => decodeSafetensors(header(JSON.stringify({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }), new Uint8Array(16)), 'f')).toThrow(
      /tensor "w" \(F32 \[3\]\) should take 12 bytes, its offsets give 16/,
    );
    expect(() => decodeSafetensors(header(JSON.stringify({ w: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }), new Uint8Array(1)), 'f')).toThrow(/unknown dtype "Q4"/);
    expect(() =>
      decodeSafetensors(
        header(JSON.stringify({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }), new Uint8Array(12)),
        'f',
      ),
    ).toThrow(/tensors "a" and "b" overlap/);
  });

  it('a failed write leaves the previous file intact and no temporary file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alseg-st-'));
    const path = join(dir, 'ckpt.safetensors');
    writeFileSync(path, 'old');
    await expect(writeSafetensors(path, { w: { data: new Float32Array(3), shape: [2, 2] } })).rejects.toThrow(/3 values for shape \[2, 2\]/);
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['ckpt.safetensors']);
  });
});
