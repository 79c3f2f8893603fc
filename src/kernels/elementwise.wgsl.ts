// Elementwise map over up to three inputs with broadcasting, in one strided kernel family.
// Inputs and output carry their own strides and offsets (a broadcast axis has stride 0), so views
// (transposes, slices, broadcasts) need no copy and `copyInto` can write into a slice of a larger
// tensor (concat). When everything is contiguous and of one shape, a variant skips the index math.
import { ENTRY_PARAMS, grid1d, linearIndex, type Launch } from './kernel.js';
import { declared, launchOf, signature, type BindingDecl, type UniformValues } from './signature.js';

export const MAX_RANK = 8;
const WG = 256;

/**
 * ReLU's gradient: g where the output y is positive, else +0 (a select, not g * mask: the gradient
 * stays 0 where g is inf or NaN). Shared with batch norm's fused backward, whose bits must be the
 * map's (kernels/batchnorm.wgsl.ts); `zero` is the type's zero (vec4<f32>(0.0) for vec4 lanes).
 */
export function reluGrad(g: string, y: string, zero = '0.0'): string {
  return `select(${zero}, ${g}, ${y} > ${zero})`;
}

/** f32 expressions of the inputs `a`, `b`, `c` and the scalar parameters `p0`, `p1`. */
export const UNARY = {
  identity: 'a',
  neg: '-a',
  relu: 'max(a, 0.0)',
  exp: 'exp(a)',
  log: 'log(a)',
  sqrt: 'sqrt(a)',
  rsqrt: 'inverseSqrt(a)',
  abs: 'abs(a)',
  sign: 'sign(a)',
  square: 'a * a',
  reciprocal: '1.0 / a',
  sigmoid: '1.0 / (1.0 + exp(-a))',
  tanh: 'tanh(a)',
  // pow with a scalar exponent; a negative base is taken by magnitude with the sign of an odd power.
  pow_scalar: 'select(pow(abs(a), p0), sign(a) * pow(abs(a), p0), fract(p0 * 0.5) == 0.5)',
  clamp: 'clamp(a, p0, p1)',
  affine: 'a * p0 + p1',
  fill: 'p0',
  gt_scalar: 'select(0.0, 1.0, a > p0)',
  in_range: 'select(0.0, 1.0, a >= p0 && a <= p1)',
} as const;

export const BINARY = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  pow: 'pow(a, b)',
  maximum: 'max(a, b)',
  minimum: 'min(a, b)',
  gt: 'select(0.0, 1.0, a > b)',
  lt: 'select(0.0, 1.0, a < b)',
  ge: 'select(0.0, 1.0, a >= b)',
  eq: 'select(0.0, 1.0, a == b)',
  // backward helpers
  relu_grad: reluGrad('a', 'b'),
  axpy: 'a * p0 + b',
} as const;

export const TERNARY = {
  where: 'select(c, b, a != 0.0)',
} as const;

export type UnaryOp = keyof typeof UNARY;
export type BinaryOp = keyof typeof BINARY;
export type TernaryOp = keyof typeof TERNARY;

export interface StridedOperand {
  strides: readonly number[];
  offset: number;
}

type Dtype = 'f32' | 'i32' | 'u32';
const UNIFORMS = {
  n: 'u32', rank: 'u32', p0: 'f32', p1: 'f32',
  shape: 'array<vec4<u32>, 2>',
  offs: 'vec4<u32>',
  st_out: 'array<vec4<u32>, 2>',
  st0: 'array<vec4<u32>, 2>',
  st1: 'array<vec4<u32>, 2>',
  st2: 'array<vec4<u32>, 2>',
} as const;
type Values = UniformValues<typeof UNIFORMS>;
const STRIDES = ['st0', 'st1', 'st2'] as const;

/** Elements up to the last one a view with these strides and offset reads (0 when n is 0). */
function reach(u: Values, strides: readonly number[], offset: number): number {
  if (u.n === 0) return 0;
  let last = offset;
  for (let d = 0; d < u.rank; d++) last += (u.shape[d] - 1) * strides[d];
  return last + 1;
}

/** The bindings of a map over `inputs` inputs: a_buf, b_buf, c_buf, then out. */
function mapSignature(inputs: number, dtype: Dtype, inDtype: Dtype) {
  const bindings: Record<string, BindingDecl<typeof UNIFORMS>> = {};
  ['a', 'b', 'c'].slice(0, inputs).forEach((v, k) => {
    bindings[`${v}_buf`] = { type: inDtype, access: 'read', len: (u) => reach(u, u[STRIDES[k]], u.offs[k]) };
  });
  bindings.out = { type: dtype, access: 'write', len: (u) => reach(u, u.st_out, u.offs[3]) };
  return signature('map', UNIFORMS, bindings);
}

function spec(expr: string, name: string, inputs: number, contiguous: boolean, dtype: Dtype, inDtype: Dtype) {
  const key = `map_${name}_${inputs}_${contiguous ? 'c' : 's'}_${inDtype}_${dtype}`;
  return declared(key, () => mapSignature(inputs, dtype, inDtype), () => body(expr, inputs, contiguous, dtype));
}

function body(expr: string, inputs: number, contiguous: boolean, dtype: Dtype): string {
  const vars = ['a', 'b', 'c'].slice(0, inputs);
  const strided = `
  var rem = i;
  var o_out = u.offs.w;
  ${vars.map((v, k) => `var o_${v} = u.offs[${k}];`).join('\n  ')}
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let q = u32(d) / 4u;
    let r = u32(d) % 4u;
    let extent = u.shape[q][r];
    let coord = rem % extent;
    rem = rem / extent;
    o_out += coord * u.st_out[q][r];
    ${vars.map((v, k) => `o_${v} += coord * u.st${k}[q][r];`).join('\n    ')}
  }`;
  const contig = `
  let o_out = u.offs.w + i;
  ${vars.map((v, k) => `let o_${v} = u.offs[${k}] + i;`).join('\n  ')}`;
  return `

@compute @workgroup_size(${WG})
fn main(${ENTRY_PARAMS}) {
  let i = ${linearIndex(WG)};
  if (i >= u.n) { return; }
  let p0 = u.p0;
  let p1 = u.p1;
  ${contiguous ? contig : strided}
  ${vars.map((v) => `let ${v} = ${v}_buf[o_${v}];`).join('\n  ')}
  out[o_out] = ${dtype}(${expr});
}
`;
}

function pad(v: readonly number[]): number[] {
  const out = new Array<number>(MAX_RANK).fill(0);
  v.forEach((x, i) => (out[i] = x));
  return out;
}

/**
 * A map launch. `inputs` may be 0 (fill) to 3; `out` is the output's strides/offset (a fresh tensor
 * is contiguous at offset 0). `contiguous` selects the variant without index decoding.
 */
export function mapLaunch(
  op: { name: string; expr: string },
  shape: readonly number[],
  inputs: readonly StridedOperand[],
  out: StridedOperand,
  params: readonly [number, number] = [0, 0],
  dtype: Dtype = 'f32',
  inDtype: Dtype = dtype,
): Launch {
  if (shape.length > MAX_RANK) throw new Error(`elementwise ops support rank <= ${MAX_RANK}, got ${shape.length}`);
  const n = shape.reduce((x, y) => x * y, 1);
  const contiguousOf = (o: StridedOperand) => {
    let acc = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (shape[d] !== 1 && o.strides[d] !== acc) return false;
      acc *= shape[d];
    }
    return true;
  };
  const contiguous = contiguousOf(out) && inputs.every(contiguousOf);
  const offs = [0, 0, 0, out.offset];
  inputs.forEach((o, k) => (offs[k] = o.offset));
  const [st0, st1, st2] = [0, 1, 2].map((k) => pad(inputs[k]?.strides ?? []));
  const values = { n, rank: shape.length, p0: params[0], p1: params[1], shape: pad(shape), offs, st_out: pad(out.strides), st0, st1, st2 };
  return launchOf(spec(op.expr, op.name, inputs.length, contiguous, dtype, inDtype), values, grid1d(Math.ceil(n / WG)));
}

/** The named tensors of a map launch: inputs a, b, c in order, then the output. */
export function mapBindings<T>(inputs: readonly T[], out: T): Record<string, T> {
  const named: Record<string, T> = { out };
  inputs.forEach((t, k) => (named[`${'abc'[k]}_buf`] = t));
  return named;
}
