// Views and copies (engine/ops/shape.ts), gather and one-hot (kernels/gather.wgsl.ts).
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/engine/backward.js';
import { read } from '../../src/engine/io.js';
import { gather, oneHot } from '../../src/engine/ops/gather.js';
import { relu } from '../../src/engine/ops/elementwise.js';
import { resizeBilinear } from '../../src/engine/ops/resize.js';
import { engine } from '../../src/engine/runtime.js';
import { cast, concat, concatBy, contiguous, fill, permute, reshape, slice, split, transpose } from '../../src/engine/ops/shape.js';
import { Tensor } from '../../src/engine/tensor.js';
import { gatherGradRef, gatherRef, oneHotRef } from '../../src/kernels/cpu/gather.js';
import { nd, permuteRef, randomNd, type Nd } from '../../src/kernels/cpu/nd.js';
import { expectClose, finiteDifferenceCheck, gpuVsReference, toGpu, toNd, useEngine } from '../helpers.js';

useEngine();

function sliceRef(x: Nd, axis: number, start: number, end: number): Nd {
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const k = x.shape[axis];
  const shape = [...x.shape];
  shape[axis] = end - start;
  const out = nd(shape);
  let at = 0;
  for (let o = 0; o < outer; o++) for (let j = start; j < end; j++) for (let i = 0; i < inner; i++) out.data[at++] = x.data[(o * k + j) * inner + i];
  return out;
}

function sliceGradRef(x: Nd, axis: number, start: number, end: number, g: Nd): Nd {
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const k = x.shape[axis];
  const out = nd(x.shape);
  let at = 0;
  for (let o = 0; o < outer; o++) for (let j = start; j < end; j++) for (let i = 0; i < inner; i++) out.data[(o * k + j) * inner + i] = g.data[at++];
  return out;
}

describe('views', () => {
  it('permute: finite differences on the reference and GPU vs reference (float32 rounding only, <= 1e-7)', async () => {
    const dims = [2, 0, 1];
    finiteDifferenceCheck(([x]) => permuteRef(x, dims), ([, ], g) => [permuteRef(g, [1, 2, 0])], [randomNd([3, 5, 2], 1)]);
    await gpuVsReference(([x]) => contiguous(permute(x, dims)), ([x]) => permuteRef(x, dims), (_, g) => [permuteRef(g, [1, 2, 0])], [randomNd([3, 5, 2], 1)], {
      forward: 1e-7,
    });
  });

  it('slice: finite differences and GPU vs reference (float32 rounding only, <= 1e-7)', async () => {
    finiteDifferenceCheck(([x]) => sliceRef(x, 1, 2, 5), ([x], g) => [sliceGradRef(x, 1, 2, 5, g)], [randomNd([3, 7, 2], 2)]);
    await gpuVsReference(([x]) => slice(x, 1, 2, 5), ([x]) => sliceRef(x, 1, 2, 5), ([x], g) => [sliceGradRef(x, 1, 2, 5, g)], [randomNd([3, 7, 2], 2)], {
      forward: 1e-7,
    });
  });

  it('reshape of a contiguous tensor shares storage; of a transposed view it copies', async () => {
    const x = toGpu(randomNd([4, 6], 3));
    const r = reshape(x, [2, -1, 3]);
    expect(r.shape).toEqual([2, 4, 3]);
    expect(r.sharesStorageWith(x)).toBe(true);
    const t = transpose(x);
    const rt = reshape(t, [24]);
    expect(rt.sharesStorageWith(x)).toBe(false);
    expectClose(await read(rt), permuteRef(randomNd([4, 6], 3), [1, 0]).data, 1e-7);
    expect(() => reshape(x, [5, 5])).toThrow(/cannot view/);
  });

  it('concat and split along an inner axis, with gradients', async () => {
    const a = randomNd([2, 3, 4], 4);
    const b = randomNd([2, 5, 4], 5);
    const ref = (xs: Nd[]) => {
      const out = nd([2, 8, 4]);
      for (let o = 0; o < 2; o++) {
        out.data.set(xs[0].data.subarray(o * 12, o * 12 + 12), o * 32);
        out.data.set(xs[1].data.subarray(o * 20, o * 20 + 20), o * 32 + 12);
      }
      return out;
    };
    const gradRef = (_: Nd[], g: Nd) => [sliceRef(g, 1, 0, 3), sliceRef(g, 1, 3, 8)];
    finiteDifferenceCheck(ref, gradRef, [a, b]);
    await gpuVsReference((ts) => concat(ts, 1), ref, gradRef, [a, b], { forward: 1e-7 });
    const parts = split(toGpu(ref([a, b])), [3, 5], 1);
    expectClose(await toNd(parts[0]), sliceRef(ref([a, b]), 1, 0, 3), 1e-7);
    expectClose(await toNd(parts[1]), sliceRef(ref([a, b]), 1, 3, 8), 1e-7);
    expect(() => split(toGpu(a), [1, 1], 1)).toThrow(/do not add up/);
  });

  it('concatBy: producers writing their slices (relu into, resize into) or returning a tensor to copy; same values and gradients as concat', async () => {
    // NHWC parts along channels: relu(a) (written in place), resize(b) 2x (written in place, vec4
    // channels at offset 4), c as it is (copied in).
    const [a, b, c] = [randomNd([2, 4, 3, 4], 11), randomNd([2, 2, 2, 8], 12), randomNd([2, 4, 3, 3], 13)];
    const parts = [[2, 4, 3, 4], [2, 4, 3, 8], [2, 4, 3, 3]];
    const composed = (ts: Tensor[]) => concat([relu(ts[0]), resizeBilinear(ts[1], [4, 3]), ts[2]], 3);
    const written = (ts: Tensor[]) => concatBy(parts, 3, [(into) => relu(ts[0], into), (into) => resizeBilinear(ts[1], [4, 3], false, into), () => ts[2]]);
    const q = engine().queue;
    const xs = [a, b, c].map((t) => toGpu(t, true));
    const n0 = q.stats.dispatches;
    const y1 = written(xs);
    const dispatches = q.stats.dispatches - n0;
    const y0 = composed(xs);
    expect(dispatches).toBe(3); // relu, resize, one copy for the third part
    expectClose(await toNd(y1), await toNd(y0), 0, 'concatBy vs concat');
    const g = toGpu(randomNd([2, 4, 3, 15], 14));
    const kernels: string[] = [];
    const grads = async (y: Tensor) => {
      const dispatch = q.dispatch;
      q.dispatch = function (launch, buffers) {
        kernels.push(launch.spec.name);
        dispatch.call(q, launch, buffers);
      };
      try {
        backward(y, g);
      } finally {
        q.dispatch = dispatch;
      }
      const out = await Promise.all(xs.map((x) => toNd(x.grad!)));
      for (const x of xs) {
        x.grad!.dispose();
        x.grad = null;
      }
      return out;
    };
    const g1 = await grads(y1);
    // The resize's backward reads its slice of g in place (vec4 channels at offset 4, pixel
    // stride 15); only part 2's gradient is copied out (it has no op to read it in place).
    expect(kernels.filter((k) => k.startsWith('resize_bwd'))).toHaveLength(1);
    expect(kernels.filter((k) => k.startsWith('map_identity'))).toHaveLength(1);
    const g0 = await grads(y0);
    g1.forEach((gr, i) => expectClose(gr, g0[i], 0, `gradient of part ${i}`));
    expect(() => concatBy(parts, 3, [() => xs[2], () => xs[2], () => xs[2]])).toThrow(/part 0/);
    for (const t of [...xs, g]) t.dispose();
  });

  it('fill and cast', async () => {
    const f = fill([3, 5], 2.5);
    expect(Array.from(await read(f))).toEqual(new Array(15).fill(2.5));
    const c = cast(Tensor.fromArray([1.7, -2.2, 3], [3]), 'i32');
    expect(Array.from(await read(c))).toEqual([1, -2, 3]);
    const back = cast(c, 'f32');
    expect(Array.from(await read(back))).toEqual([1, -2, 3]);
  });
});

describe('gather and one-hot', () => {
  const index = [4, 0, 4, 2, 1];
  for (const axis of [0, 1, 2]) {
    it(`gather along axis ${axis}: finite differences and GPU vs reference (float32 rounding only, <= 1e-7)`, async () => {
      const shape = [5, 5, 5].map((d, i) => (i === axis ? 5 : d - i));
      const x = randomNd(shape, 30 + axis);
      finiteDifferenceCheck(([x]) => gatherRef(x, axis, index), ([x], g) => [gatherGradRef(x, axis, index, g)], [x]);
      const idx = Tensor.fromArray(index, [index.length], 'i32');
      await gpuVsReference(([t]) => gather(t, axis, idx), ([x]) => gatherRef(x, axis, index), ([x], g) => [gatherGradRef(x, axis, index, g)], [x], {
        forward: 1e-7,
        backward: 1e-6,
      });
      idx.dispose();
    });
  }
  it('one-hot gives zero rows for out-of-range labels (ignore 255)', async () => {
    const labels = [0, 2, 255, 1, -1, 6];
    const t = oneHot(Tensor.fromArray(labels, [labels.length], 'i32'), 7);
    expect(t.shape).toEqual([6, 7]);
    expectClose(await toNd(t), oneHotRef(labels, 7), 0);
  });
  it('gather with unique indices scatters its gradient (same result as the general backward)', async () => {
    const x = randomNd([4, 6, 3], 50);
    const perm = [5, 0, 3, 1];
    const idx = Tensor.fromArray(perm, [4], 'i32');
    await gpuVsReference(([t]) => gather(t, 1, idx, { unique: true }), ([x]) => gatherRef(x, 1, perm), ([x], g) => [gatherGradRef(x, 1, perm, g)], [x], {
      forward: 1e-7,
      backward: 1e-7,
    });
  });
  it('gather backward sums repeated indices', async () => {
    const x = toGpu(nd([3], [1, 2, 3]), true);
    const y = gather(x, 0, Tensor.fromArray([2, 2, 0], [3], 'i32'));
    backward(y);
    expect(Array.from(await read(x.grad!))).toEqual([1, 0, 2]);
  });
});
