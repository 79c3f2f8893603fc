// 2-D convolution (stride, padding, dilation, groups, bias) with its backward rule.
//
// Layout: activations are NHWC [N, H, W, C] and weights HWIO [kh, kw, Cin/groups, Cout].
// Why NHWC: channels are the contiguous axis, so every kernel of this family (implicit GEMM,
// depthwise, batch norm, pooling, resize, the cosine head) reads 4 channels with one vec4 load, and
// on a software adapter loads are what costs (docs/engine.md, "Software adapters"); a 1x1 conv is a
// plain GEMM over the [N*H*W, C] view; channel concat/split of the decoder are slices along the
// last axis, which the kernels read in place through a pixel stride and channel offset. HWIO puts
// Cout last so the weight is a row-major [kh*kw*Cin/groups, Cout] GEMM operand, read as vec4 along
// output channels. PyTorch's NCHW/OIHW weights map here by permute(2, 3, 1, 0).
//
// Paths: depthwise (groups == Cin == Cout) has its own kernels (on a software adapter
// depthwise-walk.wgsl.ts for the stride-1 forward and input gradient where it pays,
// depthwise.wgsl.ts for the rest); everything else is the implicit GEMM
// of conv2d.wgsl.ts (a 1x1 conv there is a GEMM with no padding work), one dispatch per group.
// Backward: the input gradient is the same implicit GEMM as a gather-style transposed convolution
// (dilation negated; at stride > 1 one stride-1 gather per parity class of the input pixels over
// the taps that reach it, docs/engine.md) with the per-tap transposed weight (read
// in place by the subgroup kernel, a transposed copy otherwise); the weight gradient is the register-blocked reduction of conv2d-backward.wgsl.ts, split into chunks
// (summed in a second pass) when it has too few tiles to fill the device; the bias gradient is a
// column sum. Tiles are chosen per adapter (convConfig), never baked into the kernels.
// Zero padding is never a copy: it is folded into the kernels' indexing (directLaunch's `padded`).
// On adapters with 8-lane subgroups (engine().tuning.conv === 'subgroup8', lavapipe) the div == 1
// launches (forward, every input gradient) take conv2d-subgroup.wgsl.ts, which shares the weight
// loads of a subgroup through broadcasts: 1.4-2x the portable kernel on lavapipe (bench/conv-variants.ts).
import { implicitGemmLaunch, type ConvTile, type ImplicitGemm } from '../../kernels/conv2d.wgsl.js';
import { parityClass, type AxisMap, type ClassTaps, type ConvWindow } from '../../kernels/geometry.js';
import { implicitGemmSubgroupLaunch } from '../../kernels/conv2d-subgroup.wgsl.js';
import { matmulSubgroupLaunch } from '../../kernels/matmul-subgroup.wgsl.js';
import { normaliseChunks, weightGradChunks, weightGradLaunch, type WeightGradGeometry, type WeightGradTile } from '../../kernels/conv2d-backward.wgsl.js';
import { depthwiseLaunch, depthwiseWgradLaunch, type DepthwiseGeometry } from '../../kernels/depthwise.wgsl.js';
import { depthwiseWalkLaunch, depthwiseWalkPays } from '../../kernels/depthwise-walk.wgsl.js';
import { noGrad, record } from '../autograd.js';
import { engine } from '../runtime.js';
import { hasSubgroup8 } from '../variants.js';
import { Tensor } from '../tensor.js';
import { sum } from './reduce.js';
import { fmtShape, run } from './run.js';
import { contiguous, copyInto, fillInto, permute, reshape, slice } from './shape.js';

export interface Conv2dOptions {
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
  dilation?: number | readonly [number, number];
  groups?: number;
  bias?: Tensor | null;
  /** 'auto' (default) takes the depthwise kernel when it applies; 'general' forces the implicit GEMM. */
  path?: 'auto' | 'general';
}

export interface ConvConfig {
  /**
   * Implicit-GEMM kernel of the mask-free launches (forward, stride-1 input gradient): 'portable'
   * (conv2d.wgsl.ts) or 'subgroup8' (conv2d-subgroup.wgsl.ts, 8-lane subgroups only). Defaults to
   * engine().tuning.conv.
   */
  kernel: 'portable' | 'subgroup8';
  /**
   * Subgroup kernels: output pixels x output channels (8 or 16) per lane, forward and input
   * gradient; matmul1x1 routes bias-free 1x1 stride-1 unpadded convs through the subgroup matmul
   * kernel.
   */
  sg: { fwd: ConvTile; dgrad: ConvTile; matmul1x1: boolean };
  /** Forward tile (output pixels x output channels per invocation). */
  fwd: ConvTile;
  /** Input-gradient tile (input pixels x input channels). */
  dgrad: ConvTile;
  /** Weight-gradient tile (input channels x output channels). */
  wgrad: WeightGradTile;
  /**
   * Larger weight-gradient tiles, largest first: a layer takes the first that still leaves it at
   * least `wgradInvocations` tiles (so neither it nor `wgrad` splits the reduction, and the
   * results are the same bits), else `wgrad`.
   */
  wgradLarge: readonly WeightGradTile[];
  /** Invocations below which the weight-gradient reduction is split into chunks. */
  wgradInvocations: number;
  /**
   * Depthwise forward and stride-1 input gradient: 'walk' (depthwise-walk.wgsl.ts, a few long
   * invocations that reuse every load, for a software adapter) or 'taps' (depthwise.wgsl.ts, one
   * output element per invocation, for a GPU's many lanes).
   */
  depthwise: 'walk' | 'taps';
}

// Measured on lavapipe (bench/conv.ts, bench/conv-variants.ts; subgroup tiles: 2x16 was 3-17%
// faster than 4x8 forward, and for the input gradient 0.99-1.20x over five layers in two quiet
// alternating runs (3x16: 0.79-0.94x), rows per lane 2-6 at 8 columns within noise of each other,
// 8 rows slower); a hardware GPU wants many more invocations in flight.
type Tiles = Omit<ConvConfig, 'kernel'>;
// wgradLarge: 16x16 took the decoder's 3x3 304->256 @64x64 weight gradient from 3.9 to 7.5-8.1
// GFLOP/s against 8x8 (32x16, 16x32, 24x16 and 16x8 slower than 16x16 there); 16x8 is for layers
// with too few 16x16 tiles (3x3 64->64 @64x64: 1.45x 8x8; docs/performance.md).
const SOFTWARE: Tiles = {
  fwd: { tm: 4, tn: 8 },
  dgrad: { tm: 4, tn: 8 },
  sg: { fwd: { tm: 2, tn: 16 }, dgrad: { tm: 2, tn: 16 }, matmul1x1: false },
  wgrad: { tr: 8, tc: 8 },
  wgradLarge: [
    { tr: 16, tc: 16 },
    { tr: 16, tc: 8 },
  ],
  wgradInvocations: 256,
  depthwise: 'walk',
};
const HARDWARE: Tiles = { fwd: { tm: 4, tn: 8 }, dgrad: { tm: 4, tn: 8 }, sg: { fwd: { tm: 2, tn: 16 }, dgrad: { tm: 4, tn: 8 }, matmul1x1: false }, wgrad: { tr: 4, tc: 8 }, wgradLarge: [], wgradInvocations: 16384, depthwise: 'taps' };
let override: Partial<ConvConfig> = {};

/** Which default tile set the current adapter takes. */
export function convTileSet(): 'software' | 'hardware' {
  return engine().summary.isSoftware ? 'software' : 'hardware';
}

/** The default tiles of each set, for tests that run the other adapter's choice here. */
export const CONV_TILE_SETS: Readonly<Record<'software' | 'hardware', Readonly<Tiles>>> = { software: SOFTWARE, hardware: HARDWARE };

/** The tile configuration for the current adapter (software or hardware defaults, plus overrides). */
export function convConfig(): ConvConfig {
  const e = engine();
  const cfg: ConvConfig = { kernel: e.tuning.conv, ...CONV_TILE_SETS[convTileSet()], ...override };
  if (cfg.kernel === 'subgroup8' && !hasSubgroup8(e.tuning)) throw new Error(`conv: kernel 'subgroup8' cannot run here: ${e.tuning.reason}`);
  return cfg;
}

/**
 * A div == 1 implicit-GEMM launch (forward, stride-1 input gradient) through the configured kernel.
 * `padded`: some source positions fall outside A and read as zeros (padding folded into the
 * kernels' indexing, no padded copy); otherwise every one lies inside A (the mask-free form).
 */
function directLaunch(g: ImplicitGemm, cfg: ConvConfig, pass: 'fwd' | 'dgrad', bias: boolean, padded: boolean) {
  if (cfg.kernel !== 'subgroup8') return implicitGemmLaunch(g, cfg[pass], bias, !padded);
  // sg.matmul1x1: a 1x1, stride-1, unpadded conv (whole output rows, no bias) is the plain GEMM
  // [N*H*W, Cin] x [Cin, Cout] of the subgroup matmul kernel.
  const plainGemm =
    g.kh === 1 && g.kw === 1 && g.y.mul === 1 && g.x.mul === 1 && g.y.add === 0 && g.x.add === 0 && g.srcH === g.dstH && g.srcW === g.dstW;
  if (cfg.sg.matmul1x1 && plainGemm && !bias && !g.bTransposed && !g.taps && !g.outMap && g.oOff === 0 && g.oPix === g.ncols) {
    const m = g.batch * g.dstH * g.dstW;
    return matmulSubgroupLaunch(
      { batch: 1, m, n: g.ncols, k: g.kc },
      { offset: g.aOff, sBatch: 0, sRow: g.aPix, sCol: 1 },
      { offset: g.bOff, sBatch: 0, sRow: g.bRow, sCol: 1 },
      engine().tuning.matmulTm,
    );
  }
  // A 16-column tile over 8 or fewer columns would compute half of them twice: 8 columns and
  // twice the rows instead (the same accumulators per lane).
  const t = cfg.sg[pass];
  const tile = t.tn === 16 && g.ncols <= 8 ? { tm: 2 * t.tm, tn: 8 } : t;
  return implicitGemmSubgroupLaunch(g, tile.tm, bias, tile.tn, padded);
}

/**
 * The depthwise forward / input-gradient launch: with the 'walk' choice the column-walk kernel
 * (depthwise-walk.wgsl.ts: 1.7-4.6x the tap kernel on lavapipe, same results) where it applies and
 * pays, the tap kernel otherwise.
 */
function depthwiseAnyLaunch(g: DepthwiseGeometry, bias: boolean, cfg: ConvConfig) {
  return cfg.depthwise === 'walk' && depthwiseWalkPays(g) ? depthwiseWalkLaunch(g, bias) : depthwiseLaunch(g, bias);
}

/** Whether the source positions of `axis` (pos = dst * mul + add + tap * step) can leave [0, size). */
function leaves(dst: number, size: number, k: number, m: AxisMap): boolean {
  const lo = Math.min(m.add, m.add + (k - 1) * m.tap);
  const hi = (dst - 1) * m.mul + Math.max(m.add, m.add + (k - 1) * m.tap);
  return lo < 0 || hi >= size;
}

/** Overrides parts of the per-adapter tile choice (benchmarks, tuning); `null` restores the defaults. */
export function setConvConfig(c: Partial<ConvConfig> | null): void {
  override = c ? { ...c } : {};
}

function pair(v: number | readonly [number, number] | undefined, dflt: number, what: string): [number, number] {
  const p: [number, number] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((q) => Number.isInteger(q))) throw new Error(`conv2d: ${what} must be integers, got ${p}`);
  return p;
}

/** Output extent of one spatial axis. */
export function convOutputSize(size: number, k: number, stride: number, padding: number, dilation: number): number {
  return Math.floor((size + 2 * padding - dilation * (k - 1) - 1) / stride) + 1;
}

/** A view of an NHWC tensor as (pixel stride, channel offset), or null when it needs a copy. */
function nhwcOperand(t: Tensor): { pix: number; off: number } | null {
  const [n, h, w, c] = t.shape;
  const s = t.strides;
  const pix = w === 1 && h === 1 && n === 1 ? Math.max(c, s[2]) : s[2];
  const ok = (c === 1 || s[3] === 1) && (w === 1 || s[2] === pix) && (h === 1 || s[1] === w * pix) && (n === 1 || s[0] === h * w * pix);
  return ok && pix >= c ? { pix, off: t.offset } : null;
}

/** `t` itself (with its NHWC stride/offset) when the kernels can read it in place, else a copy. */
function nhwc(t: Tensor): { t: Tensor; pix: number; off: number; copied: boolean } {
  const o = nhwcOperand(t);
  if (o) return { t, ...o, copied: false };
  const c = noGrad(() => contiguous(t));
  return { t: c, pix: t.shape[3], off: 0, copied: true };
}

function plain(t: Tensor): { t: Tensor; copied: boolean } {
  if (t.isContiguous && t.offset === 0) return { t, copied: false };
  return { t: noGrad(() => contiguous(t)), copied: true };
}

/** The whole convolution (its window over x [n, h, w, cin]), before the launchers split it by group. */
interface Geo extends Omit<ConvWindow, 'batch'> {
  n: number;
  cin: number;
  cinG: number;
  cout: number;
  coutG: number;
  groups: number;
}

function fwdMap(g: Geo, axis: 0 | 1): AxisMap {
  return { mul: g.stride[axis], add: -g.padding[axis], tap: g.dilation[axis], div: 1 };
}
function bwdMap(g: Geo, axis: 0 | 1): AxisMap {
  return { mul: 1, add: g.padding[axis], tap: -g.dilation[axis], div: g.stride[axis] };
}

interface InputGradClass {
  /** Residues of the class's input pixels (y mod stride, x mod stride) and its extent. */
  ry: number;
  rx: number;
  h: number;
  w: number;
  /** Whether the class is a proper subset of the pixels (stride > 1 on some axis). */
  strided: boolean;
  taps: { y: ClassTaps; x: ClassTaps } | null;
}

/**
 * The input gradient's parity classes: one (the whole input, every tap) at stride 1, stride_y x
 * stride_x of them otherwise; classes without pixels are left out, those no tap reaches have null taps.
 */
function parityClasses(g: Geo, ym: AxisMap, xm: AxisMap): InputGradClass[] {
  const out: InputGradClass[] = [];
  const strided = g.stride[0] > 1 || g.stride[1] > 1;
  for (let ry = 0; ry < g.stride[0]; ry++) {
    const cy = parityClass(ry, ym, g.h, g.kh);
    for (let rx = 0; rx < g.stride[1]; rx++) {
      const cx = parityClass(rx, xm, g.w, g.kw);
      if (cy.size === 0 || cx.size === 0) continue;
      out.push({ ry, rx, h: cy.size, w: cx.size, strided, taps: cy.taps && cx.taps ? { y: cy.taps, x: cx.taps } : null });
    }
  }
  return out;
}

function resolve(xShape: readonly number[], wShape: readonly number[], options: Conv2dOptions): { g: Geo; depthwise: boolean } {
  if (xShape.length !== 4 || wShape.length !== 4) {
    throw new Error(`conv2d: expects x [N, H, W, C] and w [kh, kw, Cin/groups, Cout], got ${fmtShape(xShape)} and ${fmtShape(wShape)}`);
  }
  const groups = options.groups ?? 1;
  const [n, h, wd, cin] = xShape;
  const [kh, kw, cinG, cout] = wShape;
  if (!Number.isInteger(groups) || groups < 1 || cin % groups !== 0 || cout % groups !== 0 || cinG * groups !== cin) {
    throw new Error(`conv2d: x ${fmtShape(xShape)} and w ${fmtShape(wShape)} do not fit groups=${groups} (w must be [kh, kw, Cin/groups, Cout])`);
  }
  const stride = pair(options.stride, 1, 'stride');
  const padding = pair(options.padding, 0, 'padding');
  const dilation = pair(options.dilation, 1, 'dilation');
  if (stride.some((s) => s < 1) || dilation.some((d) => d < 1) || padding.some((p) => p < 0)) {
    throw new Error(`conv2d: stride ${stride} and dilation ${dilation} must be >= 1, padding ${padding} >= 0`);
  }
  const ho = convOutputSize(h, kh, stride[0], padding[0], dilation[0]);
  const wo = convOutputSize(wd, kw, stride[1], padding[1], dilation[1]);
  if (ho < 1 || wo < 1) throw new Error(`conv2d: output of ${fmtShape(xShape)} with kernel ${kh}x${kw} would be ${ho}x${wo}`);
  const g: Geo = { n, h, w: wd, cin, kh, kw, cinG, cout, coutG: cout / groups, groups, ho, wo, stride, padding, dilation };
  return { g, depthwise: options.path !== 'general' && groups === cin && cout === cin && cin > 1 };
}

/**
 * y[n, oy, ox, co] = bias[co] + sum over taps (i, j) and ci of the group of co:
 * x[n, oy*s - p + i*d, ox*s - p + j*d, ci] * w[i, j, ci, co], with x NHWC and w HWIO.
 */
export function conv2d(x: Tensor, w: Tensor, options: Conv2dOptions = {}): Tensor {
  if (x.dtype !== 'f32' || w.dtype !== 'f32') throw new Error('conv2d: expects f32 tensors');
  const { g, depthwise } = resolve(x.shape, w.shape, options);
  const { n, h, w: wd, cin, kh, kw, cinG, cout, groups, ho, wo } = g;
  const bias = options.bias ?? null;
  if (bias && (bias.rank !== 1 || bias.shape[0] !== cout || bias.dtype !== 'f32')) {
    throw new Error(`conv2d: bias must be f32 [${cout}], got ${fmtShape(bias.shape)}`);
  }
  const cfg = convConfig();

  const out = Tensor.empty([n, ho, wo, cout]);
  const wp = plain(w);
  const bp = bias ? plain(bias) : null;
  if (depthwise) {
    const xp = plain(x);
    run(depthwiseAnyLaunch({ batch: n, srcH: h, srcW: wd, dstH: ho, dstW: wo, kh, kw, channels: cin, y: fwdMap(g, 0), x: fwdMap(g, 1) }, bp !== null, cfg), {
      src: xp.t,
      wt: wp.t,
      ...(bp ? { bias: bp.t } : {}),
      out,
    });
    if (xp.copied) xp.t.dispose();
  } else {
    const xv = nhwc(x);
    const y = fwdMap(g, 0);
    const xm = fwdMap(g, 1);
    const padded = leaves(ho, h, kh, y) || leaves(wo, wd, kw, xm);
    for (let q = 0; q < groups; q++) {
      const launch = directLaunch(
        {
          batch: n,
          srcH: h,
          srcW: wd,
          dstH: ho,
          dstW: wo,
          kh,
          kw,
          kc: cinG,
          ncols: g.coutG,
          y,
          x: xm,
          aPix: xv.pix,
          aOff: xv.off + q * cinG,
          bRow: cout,
          bOff: q * g.coutG,
          oPix: cout,
          oOff: q * g.coutG,
          biasOff: q * g.coutG,
        },
        cfg,
        'fwd',
        bp !== null,
        padded,
      );
      run(launch, { am: xv.t, bm: wp.t, ...(bp ? { bias: bp.t } : {}), out });
    }
    if (xv.copied) xv.t.dispose();
  }
  if (wp.copied) wp.t.dispose();
  if (bp?.copied) bp.t.dispose();

  const inputs = bias ? [x, w, bias] : [x, w];
  return record(
    out,
    depthwise ? 'depthwise_conv2d' : 'conv2d',
    inputs,
    (gy) => {
      const dx = x.requiresGrad ? inputGrad(gy, w, g, depthwise, cfg) : null;
      const dw = w.requiresGrad ? weightGrad(x, gy, g, depthwise, cfg) : null;
      const db = bias?.requiresGrad ? biasGrad(gy) : null;
      return bias ? [dx, dw, db] : [dx, dw];
    },
    [x, w],
  );
}

/** Gradient of conv2d with respect to x, given the output gradient (not recorded). */
export function conv2dInputGrad(gy: Tensor, w: Tensor, xShape: readonly number[], options: Conv2dOptions = {}): Tensor {
  const { g, depthwise } = resolve(xShape, w.shape, options);
  return noGrad(() => inputGrad(gy, w, g, depthwise, convConfig()));
}

/** Gradient of conv2d with respect to w, given the output gradient (not recorded). */
export function conv2dWeightGrad(x: Tensor, gy: Tensor, wShape: readonly number[], options: Conv2dOptions = {}): Tensor {
  const { g, depthwise } = resolve(x.shape, wShape, options);
  return noGrad(() => weightGrad(x, gy, g, depthwise, convConfig()));
}

function biasGrad(gy: Tensor): Tensor {
  const flat = reshape(gy, [-1, gy.shape[3]]);
  const db = sum(flat, 0);
  flat.dispose();
  return db;
}

function inputGrad(gy: Tensor, w: Tensor, g: Geo, depthwise: boolean, cfg: ConvConfig): Tensor {
  const dx = Tensor.empty([g.n, g.h, g.w, g.cin]);
  const wp = plain(w);
  if (depthwise) {
    const gp = plain(gy);
    run(
      depthwiseAnyLaunch(
        { batch: g.n, srcH: g.ho, srcW: g.wo, dstH: g.h, dstW: g.w, kh: g.kh, kw: g.kw, channels: g.cin, y: bwdMap(g, 0), x: bwdMap(g, 1) },
        false,
        cfg,
      ),
      { src: gp.t, wt: wp.t, out: dx },
    );
    if (gp.copied) gp.t.dispose();
  } else {
    // Stride 1: a convolution of gy (zero outside it) with the flipped kernel, the padding folded
    // into the kernels' indexing. Stride > 1: one such convolution per parity class of the input
    // pixels (y mod stride, x mod stride), each over the taps that reach its class only, written
    // to its pixels in place; classes no tap reaches keep the zeros dx starts with.
    const gv = nhwc(gy);
    const ym = bwdMap(g, 0);
    const xm = bwdMap(g, 1);
    const classes = parityClasses(g, ym, xm);
    if (classes.some((c) => !c.taps)) fillInto(dx, 0);
    // The subgroup kernel reads the HWIO weight in place as the per-tap transposed B (vec4 along
    // Cout); otherwise a transposed copy [kh, kw, Cout/groups, Cin/groups] per group.
    const a4 = (...v: number[]) => v.every((x) => x % 4 === 0);
    const inPlace = cfg.kernel === 'subgroup8' && a4(g.coutG, g.cout, gv.pix, gv.off);
    for (let q = 0; q < g.groups; q++) {
      let b: { t: Tensor; bRow: number; bOff: number; bTransposed: boolean; dispose: Tensor[] };
      if (inPlace) {
        b = { t: wp.t, bRow: g.cout, bOff: q * g.coutG, bTransposed: true, dispose: [] };
      } else {
        const cols = g.groups === 1 ? wp.t.view(wp.t.shape, wp.t.strides, wp.t.offset) : slice(wp.t, 3, q * g.coutG, (q + 1) * g.coutG);
        const perm = permute(cols, [0, 1, 3, 2]);
        const wt = contiguous(perm);
        b = { t: wt, bRow: g.cinG, bOff: 0, bTransposed: false, dispose: [cols, perm, wt] };
      }
      // Elements of B from one tap to the next (transposed: ncols columns of bRow, else kc rows).
      const tapStride = (b.bTransposed ? g.cinG : g.coutG) * b.bRow;
      for (const c of classes) {
        if (!c.taps) continue;
        const { y, x } = c.taps;
        const geo: ImplicitGemm = {
          batch: g.n,
          srcH: g.ho,
          srcW: g.wo,
          dstH: c.h,
          dstW: c.w,
          kh: y.count,
          kw: x.count,
          kc: g.coutG,
          ncols: g.cinG,
          y: y.map,
          x: x.map,
          aPix: gv.pix,
          aOff: gv.off + q * g.coutG,
          bRow: b.bRow,
          bOff: b.bOff,
          bTransposed: b.bTransposed,
          oPix: g.cin,
          oOff: q * g.cinG,
          biasOff: 0,
          ...(c.strided
            ? {
                taps: { first: (y.first * g.kw + x.first) * tapStride, row: y.step * g.kw * tapStride, col: x.step * tapStride },
                outMap: { h: g.h, w: g.w, mulY: g.stride[0], addY: c.ry, mulX: g.stride[1], addX: c.rx },
              }
            : {}),
        };
        const padded = leaves(c.h, g.ho, y.count, y.map) || leaves(c.w, g.wo, x.count, x.map);
        run(directLaunch(geo, cfg, 'dgrad', false, padded), { am: gv.t, bm: b.t, out: dx });
      }
      for (const t of b.dispose) t.dispose();
    }
    if (gv.copied) gv.t.dispose();
  }
  if (wp.copied) wp.t.dispose();
  return dx;
}

function weightGrad(x: Tensor, gy: Tensor, g: Geo, depthwise: boolean, cfg: ConvConfig): Tensor {
  const nRows = g.n * g.ho;
  if (depthwise) {
    const xp = plain(x);
    const gp = plain(gy);
    const cv = g.cin % 4 === 0 ? g.cin / 4 : g.cin;
    const chunks = normaliseChunks(nRows, weightGradChunks(cv * g.kh * g.kw, nRows, cfg.wgradInvocations));
    const partial = Tensor.empty([chunks, g.kh, g.kw, 1, g.cin]);
    const geo = { batch: g.n, h: g.h, w: g.w, ho: g.ho, wo: g.wo, kh: g.kh, kw: g.kw, channels: g.cin, stride: g.stride, padding: g.padding, dilation: g.dilation };
    run(depthwiseWgradLaunch(geo, chunks), { xm: xp.t, gm: gp.t, out: partial });
    for (const p of [xp, gp]) if (p.copied) p.t.dispose();
    if (chunks === 1) {
      const dw = reshape(partial, [g.kh, g.kw, 1, g.cin]);
      partial.dispose();
      return dw;
    }
    const dw = sum(partial, 0);
    partial.dispose();
    return dw;
  }
  const xv = nhwc(x);
  const gv = nhwc(gy);
  // A large tile only where it leaves enough tiles to fill the device unsplit: then the base tile
  // would not split either, so the reduction order, and the result, are the same.
  const tilesOf = (t: WeightGradTile) => Math.ceil(g.cinG / t.tr) * g.kh * g.kw * Math.ceil(g.coutG / t.tc);
  const tile = cfg.wgradLarge.find((t) => tilesOf(t) >= cfg.wgradInvocations) ?? cfg.wgrad;
  const tiles = tilesOf(tile);
  const launch = (geo: WeightGradGeometry, c: number) => weightGradLaunch(geo, tile, c);
  const chunks = normaliseChunks(nRows, weightGradChunks(tiles, nRows, cfg.wgradInvocations));
  const geoOf = (q: number) => ({
    batch: g.n,
    h: g.h,
    w: g.w,
    ho: g.ho,
    wo: g.wo,
    kh: g.kh,
    kw: g.kw,
    stride: g.stride,
    padding: g.padding,
    dilation: g.dilation,
    kc: g.cinG,
    ncols: g.coutG,
    aPix: xv.pix,
    aOff: xv.off + q * g.cinG,
    gPix: gv.pix,
    gOff: gv.off + q * g.coutG,
  });
  const release = () => {
    for (const p of [xv, gv]) if (p.copied) p.t.dispose();
  };
  if (g.groups === 1 && chunks > 1) {
    const partial = Tensor.empty([chunks, g.kh, g.kw, g.cinG, g.cout]);
    run(launch({ ...geoOf(0), oRow: g.cout, oOff: 0 }, chunks), { xm: xv.t, gm: gv.t, out: partial });
    const dw = sum(partial, 0);
    partial.dispose();
    release();
    return dw;
  }
  const dw = Tensor.empty([g.kh, g.kw, g.cinG, g.cout]);
  for (let q = 0; q < g.groups; q++) {
    const geo = geoOf(q);
    if (chunks === 1) {
      run(launch({ ...geo, oRow: g.cout, oOff: q * g.coutG }, 1), { xm: xv.t, gm: gv.t, out: dw });
      continue;
    }
    const partial = Tensor.empty([chunks, g.kh, g.kw, g.cinG, g.coutG]);
    run(launch({ ...geo, oRow: g.coutG, oOff: 0 }, chunks), { xm: xv.t, gm: gv.t, out: partial });
    const s = sum(partial, 0);
    const region = slice(dw, 3, q * g.coutG, (q + 1) * g.coutG);
    copyInto(region, s);
    region.dispose();
    s.dispose();
    partial.dispose();
  }
  release();
  return dw;
}
