// Batch norm (kernels/batchnorm.wgsl.ts via engine/ops/batchnorm.ts) against kernels/cpu/batchnorm.ts.
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/engine/autograd.js';
import { backward } from '../../src/engine/backward.js';
import { read } from '../../src/engine/io.js';
import { batchNorm } from '../../src/engine/ops/batchnorm.js';
import { relu } from '../../src/engine/ops/elementwise.js';
import { concatBy } from '../../src/engine/ops/shape.js';
import { engine } from '../../src/engine/runtime.js';
import { Tensor } from '../../src/engine/tensor.js';
import { run } from '../../src/engine/ops/run.js';
import { bnApplyLaunch, bnBackwardApplyLaunch } from '../../src/kernels/batchnorm.wgsl.js';
import { BatchNorm2d, ReLU } from '../../src/model/layers.js';
import { Sequential } from '../../src/model/module.js';
import { batchNormGradRef, batchNormRef, batchNormReluGradRef, batchNormReluRef } from '../../src/kernels/cpu/batchnorm.js';
import { nd, randomNd, type Nd } from '../../src/kernels/cpu/nd.js';
import { expectClose, finiteDifferenceCheck, gpuVsReference, toGpu, toNd, useEngine } from '../helpers.js';

useEngine();

const SHAPES: number[][] = [
  [3, 5, 7, 6], // odd spatial, C % 4 != 0
  [1, 2, 3, 8], // small M, vec4 channels
  [2, 9, 9, 3],
];

function inputs(shape: number[], seed: number): { x: Nd; gamma: Nd; beta: Nd; rm: Nd; rv: Nd } {
  const c = shape[3];
  const x = randomNd(shape, seed, -2, 4); // a non-zero mean exercises the shifted sums
  return { x, gamma: randomNd([c], seed + 1, 0.5, 1.5), beta: randomNd([c], seed + 2), rm: randomNd([c], seed + 3), rv: randomNd([c], seed + 4, 0.5, 2) };
}

describe('batch norm', () => {
  for (const training of [true, false]) {
    it(`${training ? 'training' : 'eval'}: finite differences on the reference`, () => {
      const { x, gamma, beta, rm, rv } = inputs([2, 3, 2, 3], 1);
      finiteDifferenceCheck(
        ([a, g, b]) => batchNormRef(a, g, b, rm, rv, training).y,
        ([a, g], gy) => batchNormGradRef(a, g, gy, training, rm, rv),
        [x, gamma, beta],
        { bound: 1e-5 },
      );
    });
    for (const [i, shape] of SHAPES.entries()) {
      it(`${training ? 'training' : 'eval'} [${shape}]: GPU forward, backward and running stats vs reference`, async () => {
        const { x, gamma, beta, rm, rv } = inputs(shape, 10 * i);
        const trm = toGpu(rm);
        const trv = toGpu(rv);
        await gpuVsReference(
          ([a, g, b]) => batchNorm(a, g, b, trm, trv, { training }),
          ([a, g, b]) => batchNormRef(a, g, b, rm, rv, training).y,
          ([a, g], gy) => batchNormGradRef(a, g, gy, training, rm, rv),
          [x, gamma, beta],
          { forward: 1e-5, backward: 1e-4 },
        );
        const ref = batchNormRef(x, gamma, beta, rm, rv, training);
        expectClose(await toNd(trm), ref.runningMean, 1e-6, 'running mean');
        expectClose(await toNd(trv), ref.runningVar, 1e-6, 'running var');
        trm.dispose();
        trv.dispose();
      });
    }
  }
  for (const [i, shape] of SHAPES.entries()) {
    it(`eval with the fused ReLU [${shape}] (scalar and vec4 channels): max(BN, 0) of the reference`, async () => {
      const { x, gamma, beta, rm, rv } = inputs(shape, 40 + i);
      const ts = [x, gamma, beta, rm, rv].map((t) => toGpu(t));
      const y = noGrad(() => batchNorm(ts[0], ts[1], ts[2], ts[3], ts[4], { training: false, relu: true }));
      const ref = batchNormRef(x, gamma, beta, rm, rv, false).y;
      const expected = { shape: ref.shape, data: ref.data.map((v) => Math.max(v, 0)) };
      expect(expected.data.some((v) => v === 0) && expected.data.some((v) => v > 0)).toBe(true);
      expectClose(await toNd(y), expected, 1e-5, 'bn + relu');
      for (const t of [...ts, y]) t.dispose();
    });
  }
  it('an eval Sequential(BN, ReLU) without a tape takes the fused kernel and matches BN then ReLU', async () => {
    const bn = new BatchNorm2d(6);
    const seq = new Sequential(bn, new ReLU());
    seq.eval();
    const { x } = inputs([2, 3, 5, 6], 9);
    const tx = toGpu(x);
    const q = engine().queue;
    const before = q.stats.dispatches;
    const fused = noGrad(() => seq.forward(tx));
    const dispatches = q.stats.dispatches - before;
    const plain = noGrad(() => relu(bn.forward(tx)));
    expect(dispatches).toBe(2); // eval statistics + the fused apply (no separate ReLU pass)
    expectClose(await toNd(fused), await toNd(plain), 0, 'fused vs composed');
    for (const t of [tx, fused, plain]) t.dispose();
    seq.dispose();
  });
});

// The fused ReLU with a tape: BN's three dispatches each way, ReLU's gradient taken inside BN's
// backward kernels. Channels 3 and 5 take the scalar kernels, 8 and 12 the vec4 ones.
const RELU_SHAPES: number[][] = [
  [3, 5, 7, 3],
  [2, 3, 5, 5],
  [1, 2, 3, 8],
  [2, 3, 3, 12],
];

/** The bit patterns of a tensor's f32 values (so -0 differs from +0 and NaN equals itself). */
async function bits(t: Tensor): Promise<Uint32Array> {
  return new Uint32Array(Float32Array.from(await read(t)).buffer);
}

/** Inputs with exact zeros and negative values in x, gamma and beta, and a seed gradient with zeros and -0. */
function reluInputs(shape: number[], seed: number): { x: Nd; gamma: Nd; beta: Nd; rm: Nd; rv: Nd; g: Nd } {
  const c = shape[3];
  const { x, rm, rv } = inputs(shape, seed);
  const gamma = randomNd([c], seed + 5, -1.5, 1.5);
  const beta = randomNd([c], seed + 6, -1, 1);
  const g = randomNd(shape, seed + 7, -1, 1);
  for (let i = 0; i < x.data.length; i += 5) x.data[i] = 0;
  for (let i = 1; i < g.data.length; i += 7) g.data[i] = 0;
  for (let i = 3; i < g.data.length; i += 11) g.data[i] = -0;
  beta.data[0] = 0;
  return { x, gamma, beta, rm, rv, g };
}

describe('batch norm with the fused ReLU under a tape', () => {
  for (const training of [true, false]) {
    const mode = training ? 'training' : 'eval';
    it(`${mode}: finite differences on the reference`, () => {
      const { x, gamma, beta, rm, rv } = inputs([2, 3, 2, 5], 3);
      finiteDifferenceCheck(
        ([a, g, b]) => batchNormReluRef(a, g, b, rm, rv, training).y,
        ([a, g, b], gy) => batchNormReluGradRef(a, g, b, gy, training, rm, rv),
        [x, gamma, beta],
        { bound: 1e-5 },
      );
    });
    for (const [i, shape] of RELU_SHAPES.entries()) {
      it(`${mode} [${shape}]: GPU forward, backward and running stats vs reference`, async () => {
        const { x, gamma, beta, rm, rv } = inputs(shape, 60 + 10 * i);
        const ref = batchNormReluRef(x, gamma, beta, rm, rv, training);
        expect(ref.y.data.some((v) => v === 0) && ref.y.data.some((v) => v > 0)).toBe(true);
        const trm = toGpu(rm);
        const trv = toGpu(rv);
        await gpuVsReference(
          ([a, g, b]) => batchNorm(a, g, b, trm, trv, { training, relu: true }),
          ([a, g, b]) => batchNormReluRef(a, g, b, rm, rv, training).y,
          ([a, g, b], gy) => batchNormReluGradRef(a, g, b, gy, training, rm, rv),
          [x, gamma, beta],
          { forward: 1e-5, backward: 1e-4 },
        );
        expectClose(await toNd(trm), ref.runningMean, 1e-6, 'running mean');
        expectClose(await toNd(trv), ref.runningVar, 1e-6, 'running var');
        trm.dispose();
        trv.dispose();
      });
      it(`${mode} [${shape}]: output, running stats and all three gradients bit for bit those of BN then ReLU`, async () => {
        const d = reluInputs(shape, 80 + 10 * i);
        // Where the output is 0 the seed is NaN, inf or -inf: ReLU's gradient selects 0 there
        // (a product with the mask would carry the NaN into every sum).
        const probe = [d.x, d.gamma, d.beta, d.rm, d.rv].map((t) => toGpu(t));
        const y0 = noGrad(() => batchNorm(probe[0], probe[1], probe[2], probe[3], probe[4], { training, relu: true }));
        const zeroAt = Array.from(await read(y0)).flatMap((v, k) => (v === 0 ? [k] : []));
        expect(zeroAt.length).toBeGreaterThan(2);
        zeroAt.slice(0, 3).forEach((k, j) => (d.g.data[k] = [NaN, Infinity, -Infinity][j]));
        for (const t of [...probe, y0]) t.dispose();
        const chain = async (fused: boolean): Promise<Uint32Array[]> => {
          const [tx, tg, tb] = [toGpu(d.x, true), toGpu(d.gamma, true), toGpu(d.beta, true)];
          const [trm, trv, seed] = [toGpu(d.rm), toGpu(d.rv), toGpu(d.g)];
          const y = fused ? batchNorm(tx, tg, tb, trm, trv, { training, relu: true }) : relu(batchNorm(tx, tg, tb, trm, trv, { training }));
          const out = await bits(y);
          backward(y, seed);
          const all = [out, ...(await Promise.all([tx.grad!, tg.grad!, tb.grad!, trm, trv].map(bits)))];
          for (const t of [tx, tg, tb, trm, trv, seed]) t.dispose();
          if (!y.isDisposed) y.dispose();
          return all;
        };
        const fused = await chain(true);
        const plain = await chain(false);
        const names = ['output', 'dx', 'dgamma', 'dbeta', 'running mean', 'running var'];
        for (const [k, name] of names.entries()) expect(fused[k], name).toEqual(plain[k]);
        for (const k of [1, 2, 3]) expect(Array.from(new Float32Array(fused[k].buffer)).every(Number.isFinite), `${names[k]} finite`).toBe(true);
      });
    }
  }
  it('a training Sequential(BN, ReLU) under a tape runs the fused op: 3 dispatches forward, 3 backward, relu bits', async () => {
    const q = engine().queue;
    const run = (fused: boolean) => {
      const bn = new BatchNorm2d(8);
      const seq = new Sequential(bn, new ReLU());
      const { x, g } = reluInputs([2, 3, 5, 8], 11);
      const [tx, seed] = [toGpu(x, true), toGpu(g)];
      const before = q.stats.dispatches;
      const y = fused ? seq.forward(tx) : relu(bn.forward(tx));
      const forward = q.stats.dispatches - before;
      backward(y, seed);
      return { forward, backward: q.stats.dispatches - before - forward, dx: tx.grad!, free: [tx, seed, y], seq };
    };
    const f = run(true);
    const p = run(false);
    expect([f.forward, p.forward]).toEqual([3, 4]); // stats, finalize, apply (+ the ReLU map)
    expect(p.backward - f.backward).toBe(1); // no relu_grad pass
    expect(await bits(f.dx)).toEqual(await bits(p.dx));
    for (const r of [f, p]) {
      for (const t of r.free) if (!t.isDisposed) t.dispose();
      r.seq.dispose();
    }
  });
});

describe('batch norm with the fused ReLU into a slice of a concatenation', () => {
  // [channels before, C, channels after]: the vec4 kernels where stride and offset divide by 4,
  // the scalar ones otherwise (odd C; vec4 channels at an offset of 2).
  const LAYOUTS: [number, number, number][] = [
    [4, 8, 4],
    [3, 5, 1],
    [2, 8, 2],
    [1, 12, 4],
  ];
  for (const training of [true, false]) {
    for (const [i, [before, c, after]] of LAYOUTS.entries()) {
      it(`${training ? 'training' : 'eval'}, channels ${before} + ${c} + ${after}: written and read in place, the bits of BN then relu(x, into)`, async () => {
        const shape = [2, 3, 5, c];
        const d = reluInputs(shape, 120 + 10 * i);
        const others = [randomNd([2, 3, 5, before], 7 + i), randomNd([2, 3, 5, after], 8 + i)];
        const seed = randomNd([2, 3, 5, before + c + after], 9 + i, -1, 1);
        for (let k = 2; k < seed.data.length; k += 9) seed.data[k] = 0;
        const q = engine().queue;
        const chain = async (fused: boolean): Promise<{ bits: Uint32Array[]; dispatches: number }> => {
          const [tx, tg, tb] = [toGpu(d.x, true), toGpu(d.gamma, true), toGpu(d.beta, true)];
          const [trm, trv, ta, tz, tseed] = [toGpu(d.rm), toGpu(d.rv), toGpu(others[0]), toGpu(others[1]), toGpu(seed)];
          let dispatches = 0;
          const bn = (into: Tensor): Tensor => {
            const start = q.stats.dispatches;
            const y = fused ? batchNorm(tx, tg, tb, trm, trv, { training, relu: true, into }) : relu(batchNorm(tx, tg, tb, trm, trv, { training }), into);
            dispatches = q.stats.dispatches - start;
            return y;
          };
          const cat = concatBy([others[0].shape, shape, others[1].shape], 3, [() => ta, bn, () => tz]);
          const out = await bits(cat);
          backward(cat, tseed);
          const all = [out, ...(await Promise.all([tx.grad!, tg.grad!, tb.grad!, trm, trv].map(bits)))];
          for (const t of [tx, tg, tb, trm, trv, ta, tz, tseed]) t.dispose();
          if (!cat.isDisposed) cat.dispose();
          return { bits: all, dispatches };
        };
        const fused = await chain(true);
        const plain = await chain(false);
        // Statistics (2 passes in training, 1 in eval) and the apply, straight into the slice.
        expect(fused.dispatches).toBe(training ? 3 : 2);
        expect(plain.dispatches).toBe(fused.dispatches + 1);
        const names = ['concatenation', 'dx', 'dgamma', 'dbeta', 'running mean', 'running var'];
        for (const [k, name] of names.entries()) expect(fused.bits[k], name).toEqual(plain.bits[k]);
      });
    }
  }
  it('a training Sequential(BN, ReLU) under a tape writes its fused output into the slice', async () => {
    const seq = new Sequential(new BatchNorm2d(8), new ReLU());
    const { x } = reluInputs([2, 3, 5, 8], 13);
    const tx = toGpu(x, true);
    const other = toGpu(randomNd([2, 3, 5, 4], 14));
    const q = engine().queue;
    let dispatches = 0;
    const cat = concatBy([[2, 3, 5, 8], [2, 3, 5, 4]], 3, [
      (into) => {
        const start = q.stats.dispatches;
        const y = seq.forwardInto(tx, into);
        dispatches = q.stats.dispatches - start;
        return y;
      },
      () => other,
    ]);
    expect(dispatches).toBe(3);
    // The same layer as BN then ReLU, from fresh running statistics (zeros, ones).
    const bn = seq.layers[0] as BatchNorm2d;
    const [rm, rv] = [toGpu(nd([8])), toGpu(nd([8], new Array<number>(8).fill(1)))];
    const plain = noGrad(() => relu(batchNorm(tx, bn.weight, bn.bias, rm, rv, { training: true })));
    const got = Array.from(await read(cat));
    const want = Array.from(await read(plain));
    expect(got.filter((_, k) => k % 12 < 8)).toEqual(want);
    for (const t of [tx, other, cat, plain, rm, rv]) t.dispose();
    seq.dispose();
  });
});

describe('batch norm elementwise passes, rows per invocation', () => {
  // The software adapter's setting (several rows per invocation, parameters loaded once) and a
  // GPU's (one row) must give the same bits: odd row counts leave a ragged last group, odd and
  // vec4 channel counts take the scalar and vec4 kernels, and strided row views the ReLU form.
  for (const [m, c] of [
    [37, 5],
    [45, 8],
    [7, 12],
  ]) {
    it(`[${m}, ${c}]: rows 1, 3, 8 and 16 per invocation give the same bits, forward and backward`, async () => {
      const [x, g, y] = [1, 2, 3].map((s) => toGpu(randomNd([m, c], s)));
      const stats = toGpu(randomNd([2, c], 4, 0.5, 1.5));
      const [gamma, beta] = [5, 6].map((s) => toGpu(randomNd([c], s)));
      const coef = toGpu(randomNd([3, c], 7));
      const wide = toGpu(randomNd([m, c + 4], 8)); // the ReLU's output as a row view of a wider tensor
      const forward: Float32Array[] = [];
      const backward: Float32Array[] = [];
      for (const rows of [1, 3, 8, 16]) {
        const out = Tensor.empty([m, c]);
        run(bnApplyLaunch(m, c, false, { stride: c, offset: 0 }, rows), { x, stats, gamma, beta, out });
        forward.push((await read(out)) as Float32Array);
        run(bnApplyLaunch(m, c, true, { stride: c + 4, offset: 4 }, rows), { x, stats, gamma, beta, out: wide });
        forward.push((await read(wide)) as Float32Array);
        const dx = Tensor.empty([m, c]);
        run(bnBackwardApplyLaunch(m, c, undefined, rows), { x, g, stats, coef, out: dx });
        backward.push((await read(dx)) as Float32Array);
        run(bnBackwardApplyLaunch(m, c, { g: { stride: c, offset: 0 }, y: { stride: c, offset: 0 } }, rows), { x, g, y, stats, coef, out: dx });
        backward.push((await read(dx)) as Float32Array);
        out.dispose();
        dx.dispose();
      }
      const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
      for (let k = 2; k < forward.length; k++) expect(same(forward[k], forward[k % 2]), `forward ${k}`).toBe(true);
      for (let k = 2; k < backward.length; k++) expect(same(backward[k], backward[k % 2]), `backward ${k}`).toBe(true);
      // And one row per invocation against y = (x - mean) * inv * gamma + beta on the CPU.
      const [xs, ss, gs, bs] = await Promise.all([x, stats, gamma, beta].map((t) => read(t)));
      for (let i = 0; i < m * c; i++) {
        const ch = i % c;
        const want = (xs[i] - ss[ch]) * ss[c + ch] * gs[ch] + bs[ch];
        expect(Math.abs(forward[0][i] - want)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want)));
      }
      for (const t of [x, g, y, stats, gamma, beta, coef, wide]) t.dispose();
    });
  }
});
