// The prototypical pixel (Eq. 8) is one WGSL function (src/kernels/prototype.wgsl.ts) shared by the
// region losses and the pseudo-labels. Before it was shared, the two kernels disagreed where no
// pixel's score beats -f32max: the region-loss pass answered -1 (no pixel), the pseudo-label pass
// the region's first pixel. Both now answer the region's first pixel, as Eq. 8's argmax over the
// region's pixels always names one; this test pins that case and the ordinary one.
import { describe, expect, it } from 'vitest';
import { read } from '../../src/engine/io.js';
import { run } from '../../src/engine/ops/run.js';
import { Tensor } from '../../src/engine/tensor.js';
import { protosLaunch } from '../../src/kernels/pseudo-labels.wgsl.js';
import { regionLossPairsLaunch } from '../../src/kernels/region-loss.wgsl.js';
import { useEngine } from '../helpers.js';

useEngine();

describe('prototypical pixel', () => {
  // 5 pixels, 2 classes. Region 0 = pixels [1, 3, 4], whose scores are all NaN (a NaN log-sum-exp:
  // NaN logits would also spread to neighbours through the zero-weight taps of grid sampling);
  // region 1 = [0, 2] with pixel 2 the most confident for class 1; region 2 is empty.
  const npix = 5;
  const C = 2;
  const z = [0, 0.5, 0, 1, 0, 2, 0, 1, 0, 1];
  const lse = [0, NaN, 0, NaN, NaN];
  const regionStart = [0, 3, 5, 5];
  const regionPixels = [1, 3, 4, 0, 2];
  const pairRegion = [0, 1, 2];
  const pairClass = [1, 1, 0];
  const expected = [1, 2, -1];

  function tables() {
    const i32 = (a: number[]) => Tensor.fromArray(a, [a.length], 'i32');
    return {
      z: Tensor.fromArray(z, [npix, C]),
      lse: Tensor.fromArray(lse, [npix]),
      pair_region: i32(pairRegion),
      pair_class: i32(pairClass),
      region_start: i32(regionStart),
      region_pixels: i32(regionPixels),
    };
  }

  it('region losses: the region first pixel when every score is NaN, -1 only for an empty region', async () => {
    const t = tables();
    const pairArg = Tensor.empty([3], 'i32');
    const pp = Tensor.empty([3]);
    run(regionLossPairsLaunch(npix, C, 3, 1, 1e-8), { ...t, pair_weight: Tensor.fromArray([1, 1, 1], [3]), pair_arg: pairArg, pp });
    expect(Array.from(await read(pairArg))).toEqual(expected);
    // The loss term of a pair whose pixels all score NaN stays that of the -f32max score, as before.
    expect((await read(pp))[0]).toBeCloseTo(-Math.log(1e-8), 4);
  });

  it('pseudo-labels: the same pixels', async () => {
    const t = tables();
    const protoPixel = Tensor.empty([3], 'i32');
    const rows = { width: npix, height: 1, gh: 1, gw: npix };
    run(protosLaunch(3, C, { features: rows, logits: rows }), { ...t, proto_pixel: protoPixel });
    expect(Array.from(await read(protoPixel))).toEqual(expected);
  });
});
