// The buffer pool's size classes and its bound: a footprint that depends on the largest working
// set, not on how many sizes were requested. A fake device counts creations and destructions.
import { describe, expect, it } from 'vitest';
import { BufferPool, classSize, sizeClass, STORAGE_USAGE } from '../../src/engine/pool.js';

function fakeDevice() {
  const live = new Set<{ size: number; destroyed: boolean }>();
  const device = {
    limits: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 27 },
    createBuffer: ({ size }: { size: number }) => {
      const b = { size, destroyed: false, destroy: () => { b.destroyed = true; live.delete(b); } };
      live.add(b);
      return b;
    },
  };
  return { device: device as unknown as GPUDevice, live };
}

describe('buffer pool', () => {
  it('size classes: eight per octave, never smaller than the request, at most 1/8 (+16 B) larger', () => {
    let previous = -1;
    for (let bytes = 1; bytes < 2 ** 29; bytes = Math.ceil(bytes * 1.01) + 3) {
      const c = sizeClass(bytes);
      expect(c).toBeGreaterThanOrEqual(previous);
      previous = c;
      expect(classSize(c)).toBeGreaterThanOrEqual(bytes);
      expect(classSize(c)).toBeLessThanOrEqual(Math.max(256, bytes * 1.125 + 16));
    }
    expect(sizeClass(2 ** 20)).toBe(sizeClass(2 ** 21) - 8);
  });

  it('a buffer serves later requests of its class and of smaller ones down to half its size', () => {
    const { device } = fakeDevice();
    const pool = new BufferPool(device);
    const a = pool.acquire(1_000_000);
    pool.release(a);
    expect(pool.acquire(990_000)).toBe(a);
    pool.release(a);
    expect(pool.acquire(600_000)).toBe(a);
    pool.release(a);
    expect(pool.acquire(400_000)).not.toBe(a);
  });

  it('a request gets the newest free buffer, whatever order the free ones were released in', () => {
    const { device } = fakeDevice();
    const pool = new BufferPool(device);
    const [a, b, c] = [pool.acquire(4096), pool.acquire(4096), pool.acquire(4096)];
    for (const order of [[a, b, c], [c, b, a], [b, c, a]]) {
      for (const buf of order) pool.release(buf);
      expect([pool.acquire(4096), pool.acquire(4096), pool.acquire(4096)]).toEqual([c, b, a]);
    }
  });

  it('requests of many sizes: allocated bytes stay within twice the most ever in use', () => {
    const { device, live } = fakeDevice();
    const pool = new BufferPool(device, true, 4);
    // A "step" per image size: a working set of buffers that scale with the image, as inference does.
    const step = (scale: number) => {
      const held = [1, 3, 3, 2, 8, 1].map((k) => pool.acquire(Math.round(k * scale * 4096)));
      for (const b of held) pool.release(b);
      pool.afterSubmit();
    };
    step(100);
    const afterLargest = pool.memory().bytesAllocated;
    // 200 distinct sizes from the largest down to a tenth, in a shuffled order.
    const scales = Array.from({ length: 200 }, (_, i) => 100 - (i * 90) / 200);
    for (let i = scales.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [scales[i], scales[j]] = [scales[j], scales[i]];
    }
    for (const s of scales) step(s);
    const m = pool.memory();
    expect(m.bytesInUse).toBe(0);
    expect(m.bytesAllocated).toBeLessThanOrEqual(2 * m.peakBytesInUse);
    expect(m.bytesAllocated).toBeLessThanOrEqual(2 * afterLargest);
    expect([...live].reduce((s, b) => s + b.size, 0)).toBe(m.bytesAllocated);
  });

  it('a free buffer is destroyed only after it sat idle for idleSubmits submits', () => {
    const { device, live } = fakeDevice();
    const pool = new BufferPool(device, true, 2);
    const big = pool.acquire(1 << 20);
    pool.release(big);
    // A new, larger working set: the old buffer is now surplus beyond the high-water mark...
    const held = [pool.acquire(3 << 20), pool.acquire(3 << 20)];
    for (const b of held) pool.release(b);
    expect(live.size).toBe(3);
    pool.afterSubmit();
    expect(live.size).toBe(3); // idle for one submit only
    pool.afterSubmit();
    // ...and only free bytes above the high-water mark (6 MiB) go: 7 MiB free, the oldest (1 MiB) is destroyed.
    expect(live.size).toBe(2);
    expect(pool.memory().bytesAllocated).toBe(2 * classSize(sizeClass(3 << 20)));
    expect(STORAGE_USAGE).toBeGreaterThan(0);
  });

  it('identical steps that hold more than their peak in use (a free buffer cannot serve a larger class) re-create nothing', () => {
    const { device } = fakeDevice();
    const pool = new BufferPool(device, true, 8);
    const step = () => {
      const a = pool.acquire(1 << 20);
      pool.release(a);
      const b = pool.acquire(3 << 20); // a free 1 MiB buffer cannot serve it: 4 MiB allocated, 3 MiB peak
      pool.release(b);
      pool.afterSubmit();
    };
    step();
    const created = pool.memory().buffersCreated;
    for (let i = 0; i < 50; i++) step();
    expect(pool.memory().buffersCreated).toBe(created);
  });
});
