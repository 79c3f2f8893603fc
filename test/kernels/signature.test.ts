// The kernel declaration: the WGSL header it writes (struct layout, binding lines) and its packer.
import { describe, expect, it } from 'vitest';
import { signature } from '../../src/kernels/signature.js';

describe('kernel signature', () => {
  const sig = signature(
    'mixed_for_test',
    { n: 'u32', shift: 'i32', scale: 'f32', dir: 'vec2<f32>', colour: 'vec4<f32>', tail: 'u32', pos: 'vec3<u32>' },
    {
      x: { type: 'vec4<f32>', access: 'read' },
      ids: { type: 'i32', access: 'read' },
      hist: { type: 'atomic<u32>', access: 'read_write' },
      out: { type: 'f32', access: 'write' },
    },
  );

  it('writes the struct and one binding line per declared buffer, in declaration order', () => {
    expect(sig.header).toBe(
      [
        'struct U {',
        '  n: u32,',
        '  shift: i32,',
        '  scale: f32,',
        '  dir: vec2<f32>,',
        '  colour: vec4<f32>,',
        '  tail: u32,',
        '  pos: vec3<u32>,',
        '}',
        '@group(0) @binding(0) var<uniform> u: U;',
        '@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;',
        '@group(0) @binding(2) var<storage, read> ids: array<i32>;',
        '@group(0) @binding(3) var<storage, read_write> hist: array<atomic<u32>>;',
        '@group(0) @binding(4) var<storage, read_write> out: array<f32>;',
      ].join('\n'),
    );
  });

  it('packs at WGSL uniform alignment: vec2 on 8 bytes, vec3/vec4 on 16, the block a multiple of 16', () => {
    const buf = sig.pack({ n: 7, shift: -3, scale: 0.5, dir: [1.5, -2], colour: [1, 2, 3, 4], tail: 9, pos: [10, 11, 12] });
    // n@0 shift@4 scale@8 (pad 12) dir@16..24 (pad to 32) colour@32..48 tail@48 (pad to 64) pos@64..76 -> 80.
    expect(buf.byteLength).toBe(80);
    const v = new DataView(buf);
    expect(v.getUint32(0, true)).toBe(7);
    expect(v.getInt32(4, true)).toBe(-3);
    expect(v.getFloat32(8, true)).toBe(0.5);
    expect(v.getUint32(12, true)).toBe(0);
    expect([v.getFloat32(16, true), v.getFloat32(20, true)]).toEqual([1.5, -2]);
    expect([32, 36, 40, 44].map((o) => v.getFloat32(o, true))).toEqual([1, 2, 3, 4]);
    expect(v.getUint32(48, true)).toBe(9);
    expect([64, 68, 72].map((o) => v.getUint32(o, true))).toEqual([10, 11, 12]);
  });

  it('packs scalar-only blocks word by word, padded to 16 bytes, at least 16', () => {
    const s = signature('scalars_for_test', { a: 'u32', b: 'f32', c: 'u32', d: 'u32', e: 'i32' }, { y: { type: 'f32', access: 'write' } });
    const buf = s.pack({ a: 1, b: 0.25, c: 3, d: 4, e: -5 });
    expect(buf.byteLength).toBe(32);
    const v = new DataView(buf);
    expect([v.getUint32(0, true), v.getFloat32(4, true), v.getUint32(8, true), v.getUint32(12, true), v.getInt32(16, true)]).toEqual([1, 0.25, 3, 4, -5]);
    expect(signature('one_for_test', { n: 'u32' }, {}).pack({ n: 1 }).byteLength).toBe(16);
  });

  it('refuses a missing field, an extra one and a non-integer or out-of-range integer, naming kernel and field', () => {
    const s = signature('packer_for_test', { n: 'u32', k: 'i32', tau: 'f32' }, {});
    expect(() => s.pack({ n: 1, k: 2 } as never)).toThrow(/kernel "packer_for_test": uniform "tau" not given/);
    expect(() => s.pack({ n: 1, k: 2, tau: 1, extra: 3 } as never)).toThrow(/kernel "packer_for_test": no uniform "extra"/);
    expect(() => s.pack({ n: 1.5, k: 2, tau: 1 })).toThrow(/uniform "n" is u32, got 1.5/);
    expect(() => s.pack({ n: -1, k: 2, tau: 1 })).toThrow(/uniform "n" is u32, got -1/);
    expect(() => s.pack({ n: 1, k: 2 ** 31, tau: 1 })).toThrow(/uniform "k" is i32/);
    expect(() => sig.pack({ n: 1, shift: 0, scale: 0, dir: [1], colour: [1, 2, 3, 4], tail: 0, pos: [1, 2, 3] })).toThrow(/uniform "dir" is vec2<f32>, give 2 numbers/);
    expect(() => s.pack({ n: 1, k: -2, tau: 0.1 })).not.toThrow();
  });
});
