// Convolution family (conv2d.wgsl.ts, conv2d-subgroup.wgsl.ts, conv2d-backward.wgsl.ts,
// depthwise.wgsl.ts, depthwise-walk.wgsl.ts, all via engine/ops/conv.ts) against
// kernels/cpu/conv.ts: every stride/dilation/groups combination DeepLabv3+ uses, on small awkward
// shapes (odd channels, 1x1 spatial, batch 1 and 3, dilation larger than the input).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONV_TILE_SETS, conv2d, conv2dInputGrad, conv2dWeightGrad, convConfig, setConvConfig, type Conv2dOptions, type ConvConfig } from '../../src/engine/ops/conv.js';
import { concat, slice } from '../../src/engine/ops/shape.js';
import { conv2dGradRef, conv2dRef, type Conv2dParams } from '../../src/kernels/cpu/conv.js';
import { randomNd, type Nd } from '../../src/kernels/cpu/nd.js';
import { read } from '../../src/engine/io.js';
import { engine } from '../../src/engine/runtime.js';
import { Tensor } from '../../src/engine/tensor.js';
import type { Launch } from '../../src/kernels/kernel.js';
import { expectClose, finiteDifferenceCheck, gpuVsReference, relError, skipUnlessAvailable, toGpu, toNd, useEngine } from '../helpers.js';

useEngine();
afterEach(() => setConvConfig(null));

interface Case {
  name: string;
  x: [number, number, number, number];
  k: [number, number];
  cout: number;
  s?: number;
  p?: number;
  d?: number;
  groups?: number;
  bias?: boolean;
}

const CASES: Case[] = [
  { name: '3x3 s1 p1, odd channels, batch 1', x: [1, 5, 6, 3], k: [3, 3], cout: 5, p: 1, bias: true },
  { name: '3x3 s2 p1, batch 3, vec4 channels', x: [3, 7, 6, 8], k: [3, 3], cout: 12, s: 2, p: 1 },
  { name: '3x3 dilation 2', x: [1, 6, 7, 4], k: [3, 3], cout: 8, p: 2, d: 2, bias: true },
  { name: '3x3 dilation 6 > input', x: [2, 5, 5, 5], k: [3, 3], cout: 7, p: 6, d: 6 },
  { name: '3x3 dilation 12 > input', x: [1, 3, 4, 8], k: [3, 3], cout: 4, p: 12, d: 12, bias: true },
  { name: '3x3 dilation 18 > input', x: [1, 4, 3, 4], k: [3, 3], cout: 5, p: 18, d: 18 },
  { name: '1x1 s1, batch 3', x: [3, 3, 3, 16], k: [1, 1], cout: 20, bias: true },
  { name: '1x1 s2 odd', x: [1, 5, 5, 6], k: [1, 1], cout: 9, s: 2 },
  { name: '1x1 on 1x1 spatial', x: [3, 1, 1, 8], k: [1, 1], cout: 4, bias: true },
  { name: '3x3 p1 on 1x1 spatial', x: [1, 1, 1, 5], k: [3, 3], cout: 3, p: 1 },
  { name: '3x3 s2 d2 no padding', x: [1, 9, 8, 4], k: [3, 3], cout: 4, s: 2, d: 2 },
  { name: 'groups 2', x: [1, 4, 5, 6], k: [3, 3], cout: 4, p: 1, groups: 2, bias: true },
  { name: 'groups 2, vec4 groups', x: [1, 4, 4, 16], k: [3, 3], cout: 8, p: 1, groups: 2 },
  { name: 'depthwise 3x3 dilation 2, C=8', x: [1, 6, 5, 8], k: [3, 3], cout: 8, p: 2, d: 2, groups: 8, bias: true },
  { name: 'depthwise 3x3 dilation 6, odd C=5', x: [3, 4, 5, 5], k: [3, 3], cout: 5, p: 6, d: 6, groups: 5 },
  { name: 'depthwise 3x3 s2 p1', x: [1, 7, 7, 12], k: [3, 3], cout: 12, s: 2, p: 1, groups: 12 },
  { name: 'depthwise 3x3 dilation 12 > input', x: [1, 3, 3, 4], k: [3, 3], cout: 4, p: 12, d: 12, groups: 4 },
  // Many pixels (several subgroups of M-tiles, a ragged last one) with odd and vec4 channel counts.
  { name: '3x3 p1 odd sizes, ragged tiles', x: [2, 9, 11, 7], k: [3, 3], cout: 13, p: 1, bias: true },
  { name: '3x3 d2 vec4 channels, ragged tiles', x: [3, 7, 9, 12], k: [3, 3], cout: 20, p: 2, d: 2, bias: true },
  { name: '1x1 vec4 channels, cout not a multiple of 8', x: [1, 13, 11, 16], k: [1, 1], cout: 12 },
  { name: '5x3 kernel, asymmetric', x: [2, 8, 6, 8], k: [5, 3], cout: 8, p: 2 },
  // Many input channels (several weight-gradient channel tiles per tap, the 16x16 tile ragged).
  { name: '3x3 p1, 50 -> 11 channels (scalar loads)', x: [2, 7, 9, 50], k: [3, 3], cout: 11, p: 1, bias: true },
  { name: '3x3 s2 p1, 64 -> 16 channels', x: [1, 7, 6, 64], k: [3, 3], cout: 16, s: 2, p: 1 },
  { name: '3x3 d2 p2, 32 -> 20 channels', x: [1, 9, 10, 32], k: [3, 3], cout: 20, p: 2, d: 2 },
  // Padding folded into the kernels' indexing: a stem-like 7x7 s2 p3, and padding wider than the
  // taps reach (the input gradient's source then starts inside the padding on both sides).
  { name: '7x7 s2 p3, 3 -> 8 channels', x: [2, 11, 10, 3], k: [7, 7], cout: 8, s: 2, p: 3 },
  { name: '3x3 p2 (padding beyond the taps), vec4', x: [1, 5, 6, 8], k: [3, 3], cout: 8, p: 2, bias: true },
  // The input gradient reading the HWIO weight in place (vec4 Cout): Cin not a multiple of 8, groups.
  { name: '3x3 p1, 12 -> 20 channels, groups 2', x: [2, 5, 7, 12], k: [3, 3], cout: 20, p: 1, groups: 2 },
  // Depthwise: the walk kernel (depthwise-walk.wgsl.ts; software tiles) over rows wider than its
  // 8-column tile with a ragged tail and row classes of unequal sizes; stride 2 takes the tap kernel.
  { name: 'depthwise 3x3 p1, 37 wide, odd C=7', x: [2, 5, 37, 7], k: [3, 3], cout: 7, p: 1, groups: 7, bias: true },
  { name: 'depthwise 3x3 dilation 6, 41 wide, C=12', x: [1, 7, 41, 12], k: [3, 3], cout: 12, p: 6, d: 6, groups: 12 },
  { name: 'depthwise 3x3 s2 p1, 35 wide, odd C=9', x: [1, 6, 35, 9], k: [3, 3], cout: 9, s: 2, p: 1, groups: 9 },
  { name: 'depthwise 5x3 p2 d2, asymmetric', x: [2, 9, 6, 4], k: [5, 3], cout: 4, p: 2, d: 2, groups: 4, bias: true },
  // Strided input gradients by parity class: a 1x1 stride 2 (three of four classes reached by no
  // tap: zeros), stride 3 with odd extents, stride 2 with dilation 2 (half the classes empty),
  // stride 2 with groups, and the input gradient's classes of unequal sizes (odd H, W).
  { name: '1x1 s2 vec4, 16 -> 8 channels, odd extents', x: [2, 7, 5, 16], k: [1, 1], cout: 8, s: 2 },
  { name: '3x3 s3 p1 vec4, odd extents', x: [2, 10, 8, 8], k: [3, 3], cout: 12, s: 3, p: 1 },
  { name: '3x3 s2 d2 p2 vec4', x: [1, 9, 11, 8], k: [3, 3], cout: 8, s: 2, d: 2, p: 2, bias: true },
  { name: '3x3 s2 p1 groups 2, vec4 groups', x: [1, 9, 7, 16], k: [3, 3], cout: 8, s: 2, p: 1, groups: 2 },
  { name: '5x5 s2 p2, 12 -> 4 channels', x: [1, 11, 9, 12], k: [5, 5], cout: 4, s: 2, p: 2 },
];

function params(c: Case): Conv2dParams {
  const s = c.s ?? 1;
  const p = c.p ?? 0;
  const d = c.d ?? 1;
  return { stride: [s, s], padding: [p, p], dilation: [d, d], groups: c.groups ?? 1 };
}

function inputs(c: Case, seed: number): Nd[] {
  const groups = c.groups ?? 1;
  const list = [randomNd(c.x, seed), randomNd([c.k[0], c.k[1], c.x[3] / groups, c.cout], seed + 1)];
  if (c.bias) list.push(randomNd([c.cout], seed + 2));
  return list;
}

/** Output height and width of a case. */
function outHw(c: Case): [number, number] {
  const p = params(c);
  return [0, 1].map((a) => Math.floor((c.x[1 + a] + 2 * p.padding[a] - p.dilation[a] * (c.k[a] - 1) - 1) / p.stride[a]) + 1) as [number, number];
}

const refOf = (p: Conv2dParams) => (xs: Nd[]) => conv2dRef(xs[0], xs[1], xs[2] ?? null, p);
const gradOf = (p: Conv2dParams) => (xs: Nd[], g: Nd) => {
  const r = conv2dGradRef(xs[0], xs[1], g, p);
  return xs.length === 3 ? [r.dx, r.dw, r.db] : [r.dx, r.dw];
};
const opts = (p: Conv2dParams): Conv2dOptions => ({ stride: p.stride, padding: p.padding, dilation: p.dilation, groups: p.groups });

describe('conv2d reference', () => {
  it('finite differences: 3x3 s2 d2 groups 2 with bias', () => {
    const p: Conv2dParams = { stride: [2, 2], padding: [2, 2], dilation: [2, 2], groups: 2 };
    finiteDifferenceCheck(refOf(p), gradOf(p), [randomNd([2, 5, 4, 4], 1), randomNd([3, 3, 2, 6], 2), randomNd([6], 3)]);
  });
  it('finite differences: 1x1 s2 and depthwise dilation 6', () => {
    const p1: Conv2dParams = { stride: [2, 2], padding: [0, 0], dilation: [1, 1], groups: 1 };
    finiteDifferenceCheck(refOf(p1), gradOf(p1), [randomNd([1, 5, 3, 3], 4), randomNd([1, 1, 3, 2], 5)]);
    const p2: Conv2dParams = { stride: [1, 1], padding: [6, 6], dilation: [6, 6], groups: 3 };
    finiteDifferenceCheck(refOf(p2), gradOf(p2), [randomNd([1, 4, 3, 3], 6), randomNd([3, 3, 1, 3], 7)]);
  });
});

// Every implicit-GEMM kernel the engine may pick: the portable one and the 8-lane-subgroup one
// (forced through the config; the latter runs only on an adapter with 8-lane subgroups and is
// skipped elsewhere, naming the missing feature), with each tile set's defaults: the software
// adapter's and the hardware one's, so a GPU's choice is tested here too.
const KERNELS: [ConvConfig['kernel'], 'software' | 'hardware'][] = [
  ['portable', 'software'],
  ['subgroup8', 'software'],
  ['portable', 'hardware'],
  ['subgroup8', 'hardware'],
];

describe.each(KERNELS)('conv2d GPU vs reference (forward and backward), %s kernel, %s tiles', (kernel, tiles) => {
  skipUnlessAvailable(kernel);
  beforeEach(() => setConvConfig({ ...CONV_TILE_SETS[tiles], kernel }));
  for (const [i, c] of CASES.entries()) {
    const p = params(c);
    it(`${c.name}: x [${c.x}] k ${c.k} -> ${c.cout}`, async () => {
      await gpuVsReference(
        (ts) => conv2d(ts[0], ts[1], { ...opts(p), bias: ts[2] ?? null }),
        refOf(p),
        gradOf(p),
        inputs(c, 10 * i + 1),
        { forward: 2e-6, backward: 5e-6 },
      );
    });
  }
  it('depthwise through the general path agrees with the depthwise kernel', async () => {
    const c = CASES[14];
    const p = params(c);
    await gpuVsReference(
      (ts) => conv2d(ts[0], ts[1], { ...opts(p), path: 'general' }),
      refOf(p),
      gradOf(p),
      inputs(c, 5),
      { forward: 2e-6, backward: 5e-6 },
    );
  });
  it('other tiles and no reduction split give the same results', async () => {
    setConvConfig({ kernel, fwd: { tm: 3, tn: 4 }, dgrad: { tm: 2, tn: 12 }, sg: { fwd: { tm: 3, tn: 8 }, dgrad: { tm: 5, tn: 16 }, matmul1x1: false }, wgrad: { tr: 4, tc: 4 }, wgradLarge: [], wgradInvocations: 1 });
    expect(convConfig().kernel).toBe(kernel);
    for (const c of [CASES[1], CASES[2], CASES[11], CASES[17], CASES[18], CASES[21], CASES[23], CASES[26]]) {
      const p = params(c);
      await gpuVsReference((ts) => conv2d(ts[0], ts[1], { ...opts(p), bias: ts[2] ?? null }), refOf(p), gradOf(p), inputs(c, 3), {
        forward: 2e-6,
        backward: 5e-6,
      });
    }
  });
  it('the large weight-gradient tiles (wgradLarge) give the bits of the base tile, odd channel counts', async () => {
    for (const c of [CASES[17], CASES[21], CASES[22], CASES[23]]) {
      const p = params(c);
      const [x, w] = inputs(c, 8);
      const gy = randomNd([c.x[0], ...outHw(c), c.cout], 9);
      const dw: Float32Array[] = [];
      for (const wgradLarge of [[], [{ tr: 16, tc: 16 }], [{ tr: 16, tc: 8 }]]) {
        setConvConfig({ ...CONV_TILE_SETS[tiles], kernel, wgradLarge, wgradInvocations: 1 });
        const t = conv2dWeightGrad(toGpu(x), toGpu(gy), w.shape, opts(p));
        dw.push((await read(t)) as Float32Array);
      }
      const ref = conv2dGradRef(x, w, gy, p).dw.data;
      for (const large of dw.slice(1)) {
        expect(large.every((v, i) => Object.is(v, dw[0][i]))).toBe(true);
        // And against the CPU reference: float32 sums of up to ~600 products.
        expect(relError(large, ref)).toBeLessThan(5e-6);
      }
    }
  });
  it('1x1 stride-1 convs through the subgroup matmul (sg.matmul1x1) give the same results', async () => {
    const base = convConfig();
    setConvConfig({ ...CONV_TILE_SETS[tiles], kernel, sg: { ...base.sg, matmul1x1: true } });
    const odd: Case = { name: '1x1 odd', x: [2, 5, 7, 9], k: [1, 1], cout: 7 };
    for (const c of [CASES[6], CASES[7], CASES[19], odd]) {
      const p = params(c);
      await gpuVsReference((ts) => conv2d(ts[0], ts[1], { ...opts(p), bias: ts[2] ?? null }), refOf(p), gradOf(p), inputs(c, 4), {
        forward: 2e-6,
        backward: 5e-6,
      });
    }
  });

  it('a strided input gradient runs one stride-1 convolution per parity class that a tap reaches', async () => {
    // 1x1 s2: only class (0, 0) has a tap (a fill zeroes the rest); 3x3 s2 p1: all four classes,
    // with 1-2 taps per axis. No dispatch tests divisibility (every map has div 1).
    for (const [c, convs, fills] of [[CASES[CASES.length - 5], 1, 1], [CASES[1], 4, 0]] as const) {
      const p = params(c);
      const [xn, wn] = inputs(c, 5);
      const [ho, wo] = outHw(c);
      const gyn = randomNd([c.x[0], ho, wo, c.cout], 6);
      const [x, w, gy] = [xn, wn, gyn].map((t) => toGpu(t));
      const q = engine().queue;
      const launches: Launch[] = [];
      const dispatch = q.dispatch;
      q.dispatch = function (launch, buffers) {
        launches.push(launch);
        dispatch.call(q, launch, buffers);
      };
      let dx: Tensor;
      try {
        dx = conv2dInputGrad(gy, w, c.x, opts(p));
      } finally {
        q.dispatch = dispatch;
      }
      const conv = launches.filter((l) => l.spec.name.startsWith('conv_igemm'));
      expect(conv.length, c.name).toBe(convs);
      expect(conv.every((l) => l.values.divY === 1 && l.values.divX === 1)).toBe(true);
      expect(launches.filter((l) => l.spec.name.startsWith('map_fill')).length).toBe(fills);
      expectClose(await toNd(dx), conv2dGradRef(xn, wn, gyn, p).dx, 5e-6, c.name);
      for (const t of [x, w, gy, dx]) t.dispose();
    }
  });
});

describe('NHWC channel concat / split feed conv without copies', () => {
  it('conv of a channel slice (offset view) and of a concat along the channel axis', async () => {
    const a = randomNd([2, 4, 5, 8], 1);
    const b = randomNd([2, 4, 5, 4], 2);
    const w = randomNd([3, 3, 12, 6], 3);
    const p: Conv2dParams = { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 };
    const [ta, tb, tw] = [toGpu(a, true), toGpu(b, true), toGpu(w, true)];
    const cat = concat([ta, tb], 3);
    expect(cat.shape).toEqual([2, 4, 5, 12]);
    // Reference: concatenate on the CPU.
    const catRef = randomNd([2, 4, 5, 12], 0);
    for (let px = 0; px < 40; px++) {
      for (let c = 0; c < 8; c++) catRef.data[px * 12 + c] = a.data[px * 8 + c];
      for (let c = 0; c < 4; c++) catRef.data[px * 12 + 8 + c] = b.data[px * 4 + c];
    }
    const y = conv2d(cat, tw, { padding: 1 });
    expectClose(await toNd(y), conv2dRef(catRef, w, null, p), 2e-6, 'conv of concat');
    // A channel slice (offset 4, pixel stride 12) read in place.
    const part = slice(cat, 3, 4, 12);
    const w2 = randomNd([1, 1, 8, 4], 9);
    const y2 = conv2d(part, toGpu(w2));
    const partRef = randomNd([2, 4, 5, 8], 0);
    for (let px = 0; px < 40; px++) for (let c = 0; c < 8; c++) partRef.data[px * 8 + c] = catRef.data[px * 12 + 4 + c];
    expectClose(await toNd(y2), conv2dRef(partRef, w2, null, { ...p, padding: [0, 0] }), 2e-6, 'conv of a channel slice');
  });
});
