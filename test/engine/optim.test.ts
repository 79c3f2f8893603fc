// Optimisers (kernels/optim.wgsl.ts) against kernels/cpu/optim.ts, groups and the poly schedule.
import { describe, expect, it } from 'vitest';
import { read } from '../../src/engine/io.js';
import { AdamW, SGD, polyLr, type ParamUpdate } from '../../src/engine/optim.js';
import { engine } from '../../src/engine/runtime.js';
import { Tensor } from '../../src/engine/tensor.js';
import { adamwRef, sgdRef } from '../../src/kernels/cpu/optim.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { expectClose, useEngine } from '../helpers.js';

useEngine();

function param(seed: number, n: number): { t: Tensor; p: Float64Array } {
  const x = randomNd([n], seed);
  const t = Tensor.fromArray(x.data, [n]).keep();
  t.requiresGrad = true;
  return { t, p: Float64Array.from(x.data) };
}

describe('optimisers', () => {
  it('AdamW with two groups (head lr = 10x backbone) matches the reference over 5 steps (rel. error <= 1e-5)', async () => {
    const a = param(1, 37);
    const b = param(2, 11);
    const opt = new AdamW([
      { name: 'backbone', params: [a.t], lr: 1e-2, weightDecay: 1e-2 },
      { name: 'head', params: [b.t], lr: 1e-1, weightDecay: 1e-2 },
    ]);
    const state = [a, b].map((x) => ({ m: new Float64Array(x.p.length), v: new Float64Array(x.p.length) }));
    for (let step = 1; step <= 5; step++) {
      opt.lrFactor = polyLr(1, step - 1, 5);
      const grads = [randomNd([37], 10 + step), randomNd([11], 20 + step)];
      a.t.grad = Tensor.fromArray(grads[0].data, [37]).keep();
      b.t.grad = Tensor.fromArray(grads[1].data, [11]).keep();
      opt.step();
      opt.zeroGrad();
      [a, b].forEach((x, i) =>
        adamwRef(x.p, grads[i].data, state[i].m, state[i].v, { lr: (i ? 1e-1 : 1e-2) * opt.lrFactor, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2, step }),
      );
    }
    expectClose(await read(a.t), a.p, 1e-5);
    expectClose(await read(b.t), b.p, 1e-5);
    expect(opt.steps).toBe(5);
  });

  it('AdamW updates several tensors per dispatch: the same bits as one launch each, and the reference', async () => {
    // One launch per tensor, as before grouping.
    class OneByOne extends AdamW {
      protected override updateGroup(items: readonly ParamUpdate[], lr: number, wd: number): void {
        for (const { p, g, state } of items) this.update(p, g, lr, wd, state);
      }
    }
    const sizes = [1, 3, 32, 67, 300, 1025, 5, 9, 2, 4096];
    const make = (seed: number) => sizes.map((n, i) => param(seed + i, n));
    const grouped = make(100);
    const single = make(100);
    const ref = make(100);
    const refState = sizes.map((n) => ({ m: new Float64Array(n), v: new Float64Array(n) }));
    const optG = new AdamW([{ name: 'all', params: grouped.map((x) => x.t), lr: 1e-2, weightDecay: 1e-2 }]);
    const optS = new OneByOne([{ name: 'all', params: single.map((x) => x.t), lr: 1e-2, weightDecay: 1e-2 }]);
    const q = engine().queue;
    let groupedDispatches = 0;
    for (let step = 1; step <= 3; step++) {
      const grads = sizes.map((n, i) => randomNd([n], 1000 * step + i));
      for (const [opt, set] of [[optG, grouped], [optS, single]] as const) {
        set.forEach((x, i) => (x.t.grad = Tensor.fromArray(grads[i].data, [sizes[i]]).keep()));
        const before = q.stats.dispatches;
        opt.step();
        if (opt === optG) groupedDispatches = q.stats.dispatches - before;
        opt.zeroGrad();
      }
      ref.forEach((x, i) => adamwRef(x.p, grads[i].data, refState[i].m, refState[i].v, { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2, step }));
    }
    const per = Math.min(8, Math.floor(engine().device.limits.maxStorageBuffersPerShaderStage / 4));
    expect(groupedDispatches).toBe(per >= 2 ? Math.ceil(sizes.length / per) : sizes.length);
    for (let i = 0; i < sizes.length; i++) {
      expect(await read(grouped[i].t)).toEqual(await read(single[i].t));
      expectClose(await read(grouped[i].t), ref[i].p, 1e-5);
    }
    const [sg, ss] = [optG.stateTensors(), optS.stateTensors()];
    for (let i = 0; i < sizes.length; i++) for (let s = 0; s < 2; s++) expect(await read(sg[i].slots[s])).toEqual(await read(ss[i].slots[s]));
    optG.dispose();
    optS.dispose();
    for (const x of [...grouped, ...single, ...ref]) x.t.dispose();
  });

  it('SGD with momentum matches the reference and skips parameters without a gradient', async () => {
    const a = param(3, 29);
    const frozen = param(4, 5);
    const opt = new SGD([{ name: 'all', params: [a.t, frozen.t], lr: 0.1, weightDecay: 1e-3 }], 0.9);
    const m = new Float64Array(29);
    for (let step = 0; step < 3; step++) {
      const g = randomNd([29], 40 + step);
      a.t.grad = Tensor.fromArray(g.data, [29]).keep();
      opt.step();
      opt.zeroGrad();
      sgdRef(a.p, g.data, m, 0.1, 0.9, 1e-3);
    }
    expectClose(await read(a.t), a.p, 1e-5);
    expectClose(await read(frozen.t), frozen.p, 1e-7);
  });

  it('a gradient of the wrong shape, dtype or layout is refused before the update reads it', async () => {
    const a = param(6, 6);
    const opt = new AdamW([{ name: 'head', params: [a.t], lr: 0.1 }]);
    const wrong: [Tensor, RegExp][] = [
      [Tensor.fromArray([1, 2, 3], [3]), /gradient of Tensor#\d+\(f32\[6\]\) in group head is f32 \[3\], not a contiguous f32 \[6\]/],
      [Tensor.fromArray([1, 2, 3, 4, 5, 6], [6], 'i32'), /is i32 \[6\]/],
      [Tensor.fromArray([1, 2, 3, 4, 5, 6, 7], [7]).view([6], [1], 1), /is f32 \[6\] \(a strided view\)/],
    ];
    for (const [g, message] of wrong) {
      a.t.grad = g.keep();
      expect(() => opt.step()).toThrow(message);
      opt.zeroGrad();
    }
    expect(opt.steps).toBe(0);
    expectClose(await read(a.t), a.p, 1e-7); // untouched (float32 rounding of the reference)
    opt.dispose();
  });

  it('poly schedule: power 0.9 with a floor', () => {
    expect(polyLr(0.01, 0, 100)).toBeCloseTo(0.01, 12);
    expect(polyLr(0.01, 50, 100)).toBeCloseTo(0.01 * 0.5 ** 0.9, 12);
    expect(polyLr(0.01, 100, 100)).toBe(1e-6);
  });
});
