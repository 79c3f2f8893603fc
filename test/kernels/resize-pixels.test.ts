// The two forms of the bilinear resize kernels (src/kernels/resize.wgsl.ts): one invocation per
// pixel and every channel of it (software adapters) against one per pixel and channel vector (the
// form before, still run on hardware adapters): the same bits, so training runs are unchanged. Launched directly on odd sizes in both align
// modes: 4x and 2.5x upsampling, downsampling, scalar (C = 3, 5) and vec4 (C = 20, 24) channels,
// output into a channel slice as concatBy writes it. resize.test.ts checks the result against the
// CPU reference and by finite differences.
import { describe, expect, it } from 'vitest';
import { read } from '../../src/engine/io.js';
import { run } from '../../src/engine/ops/run.js';
import { Tensor } from '../../src/engine/tensor.js';
import { randomNd } from '../../src/kernels/cpu/nd.js';
import { resizeGradRef, resizeRef } from '../../src/kernels/cpu/resize.js';
import {
  GATHER_TAPS,
  resizeBackwardLanesLaunch,
  resizeBackwardPixelsLaunch,
  resizeGatherFits,
  resizeLanesLaunch,
  resizePixelsLaunch,
  type ResizeGeometry,
} from '../../src/kernels/resize.wgsl.js';
import { relError, toGpu, useEngine } from '../helpers.js';

useEngine();

interface Case {
  name: string;
  x: [number, number, number, number];
  size: [number, number];
  /** Output pixel stride and channel offset (a slice of a wider tensor), when not dense. */
  slice?: [number, number];
  /** Whether the pixel gather holds the ranges (else the backward runs the lanes form). */
  fits: boolean;
}

const CASES: Case[] = [
  { name: 'logits 4x, C=20', x: [2, 7, 5, 20], size: [28, 20], fits: true },
  { name: '4x, odd C=5', x: [1, 5, 9, 5], size: [20, 36], fits: true },
  { name: '2.5x, C=3', x: [3, 6, 4, 3], size: [15, 10], fits: true },
  { name: '2.5x into a slice, C=24', x: [1, 4, 6, 24], size: [10, 15], slice: [36, 8], fits: true },
  { name: 'to an odd size into a slice, C=3', x: [2, 5, 3, 3], size: [11, 13], slice: [7, 2], fits: true },
  { name: 'downsampling, C=20', x: [2, 13, 11, 20], size: [4, 5], fits: true },
  { name: 'downsampling, C=5', x: [1, 9, 12, 5], size: [7, 5], fits: true },
  { name: '8x, C=24', x: [1, 3, 2, 24], size: [24, 16], fits: false },
];

const bitIdentical = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/** Length of outRange (resize.wgsl.ts) for input index i, in float32 as the kernel computes it. */
function rangeLength(i: number, out: number, inv: number, align: boolean): number {
  const f = Math.fround;
  const v = f(inv);
  const lo = align ? f(f(i - 1) * v) : f(f(f(i - 0.5) * v) - 0.5);
  const hi = align ? f(f(i + 1) * v) : f(f(f(i + 1.5) * v) - 0.5);
  const a = Math.max(Math.floor(lo) - 1, 0);
  const b = Math.min(Math.ceil(hi) + 1, out - 1);
  return b - a + 1;
}

describe('bilinear resize pixel kernels', () => {
  it(`resizeGatherFits admits only ranges of at most ${GATHER_TAPS} outputs`, () => {
    let admitted = 0;
    for (const align of [false, true])
      for (let n = 1; n <= 40; n++)
        for (let out = 1; out <= 300; out++) {
          const g: ResizeGeometry = { n: 1, h: n, w: 1, c: 1, ho: out, wo: 1, alignCorners: align };
          if (!resizeGatherFits(g)) continue;
          admitted++;
          const inv = align ? (n > 1 ? (out - 1) / (n - 1) : out) : out / n;
          const longest = Math.max(...Array.from({ length: n }, (_, i) => rangeLength(i, out, inv, align)));
          expect(longest, `${n} -> ${out} align ${align}`).toBeLessThanOrEqual(GATHER_TAPS);
        }
    // 4x and 5x upsampling are admitted, 6x is not.
    expect(admitted).toBeGreaterThan(1000);
    expect(resizeGatherFits({ n: 1, h: 24, w: 24, c: 20, ho: 96, wo: 96, alignCorners: false })).toBe(true);
    expect(resizeGatherFits({ n: 1, h: 20, w: 20, c: 20, ho: 100, wo: 100, alignCorners: true })).toBe(true);
    expect(resizeGatherFits({ n: 1, h: 20, w: 20, c: 20, ho: 120, wo: 120, alignCorners: false })).toBe(false);
  });

  for (const [i, c] of CASES.entries()) {
    for (const alignCorners of [false, true]) {
      it(`${c.name}, [${c.x}] -> ${c.size}, align_corners=${alignCorners}: pixels and lanes, the same bits`, async () => {
        const [n, h, w, ch] = c.x;
        const [ho, wo] = c.size;
        const [oPix, oOff] = c.slice ?? [ch, 0];
        const g: ResizeGeometry = { n, h, w, c: ch, ho, wo, alignCorners, ...(c.slice ? { oPix, oOff } : {}) };
        expect(resizeGatherFits(g)).toBe(c.fits);
        const xNd = randomNd(c.x, 40 + i);
        const x = toGpu(xNd);
        // Outputs start from the same values, so the channels outside a slice must stay as they were.
        const fill = randomNd([n, ho, wo, oPix], 60 + i);
        const outs = [toGpu(fill), toGpu(fill)];
        run(resizeLanesLaunch(g), { x, out: outs[0] });
        run(resizePixelsLaunch(g), { x, out: outs[1] });
        const [before, after] = (await Promise.all(outs.map((o) => read(o)))) as Float32Array[];
        expect(bitIdentical(after, before)).toBe(true);
        // Float32 rounding of a 4-tap interpolation against the float64 reference.
        const fref = resizeRef(xNd, c.size, alignCorners).data;
        const dense = Float32Array.from(fref, (_, j) => after[Math.floor(j / ch) * oPix + oOff + (j % ch)]);
        expect(relError(dense, fref)).toBeLessThan(1e-6);

        const gyNd = randomNd([n, ho, wo, ch], 80 + i);
        const gy = toGpu(gyNd);
        const dxs = [Tensor.empty(c.x), Tensor.empty(c.x)];
        const gd: ResizeGeometry = { n, h, w, c: ch, ho, wo, alignCorners };
        run(resizeBackwardLanesLaunch(gd), { gy, dx: dxs[0] });
        const ref = resizeGradRef(xNd, c.size, alignCorners, gyNd).data;
        if (c.fits) {
          run(resizeBackwardPixelsLaunch(gd), { gy, dx: dxs[1] });
          const [lanes, pixels] = (await Promise.all(dxs.map((d) => read(d)))) as Float32Array[];
          expect(bitIdentical(pixels, lanes)).toBe(true);
          // Float32 sums of up to 12 x 12 weighted terms (4x upsampling) against float64.
          expect(relError(pixels, ref)).toBeLessThan(1e-5);
        } else {
          expect(() => resizeBackwardPixelsLaunch(gd)).toThrow(/taps per axis/);
          // Sums of up to 20 x 20 terms (8x upsampling): what resizeBilinear runs at this scale.
          expect(relError((await read(dxs[0])) as Float32Array, ref)).toBeLessThan(1e-5);
        }
        if (c.slice) {
          // gy as a channel slice of a wider gradient (a concatenation's), read in place: the same
          // bits as from the dense gy, whatever the other channels hold.
          const wide = randomNd([n, ho, wo, oPix], 90 + i);
          gyNd.data.forEach((v, j) => (wide.data[Math.floor(j / ch) * oPix + oOff + (j % ch)] = v));
          const gyWide = toGpu(wide);
          const gs: ResizeGeometry = { ...gd, oPix, oOff };
          const sliced = [Tensor.empty(c.x), Tensor.empty(c.x)];
          run(resizeBackwardLanesLaunch(gs), { gy: gyWide, dx: sliced[0] });
          if (c.fits) run(resizeBackwardPixelsLaunch(gs), { gy: gyWide, dx: sliced[1] });
          const [denseLanes, sLanes, sPixels] = (await Promise.all([dxs[0], ...sliced].map((d) => read(d)))) as Float32Array[];
          expect(bitIdentical(sLanes, denseLanes)).toBe(true);
          if (c.fits) expect(bitIdentical(sPixels, denseLanes)).toBe(true);
          for (const t of [gyWide, ...sliced]) t.dispose();
        }
        for (const t of [x, gy, ...outs, ...dxs]) t.dispose();
      });
    }
  }
});
