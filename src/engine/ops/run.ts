// The one place ops hand a kernel launch to the queue. A kernel's tensors come by binding name and
// are checked against its declaration (src/kernels/signature.ts) before anything is encoded.
import type { Launch } from '../../kernels/kernel.js';
import { BINARY, TERNARY, UNARY, mapBindings, mapLaunch, type BinaryOp, type StridedOperand, type TernaryOp, type UnaryOp } from '../../kernels/elementwise.wgsl.js';
import { dtypeOf } from '../../kernels/signature.js';
import { engine } from '../runtime.js';
import { Tensor } from '../tensor.js';

export function run<B extends string>(launch: Launch<B>, tensors: Readonly<Record<B, Tensor>>): void {
  engine().queue.dispatch(
    launch,
    bindNamed(launch, tensors).map((t) => t.buffer),
  );
}

/** Elements from its buffer's start to a view's last element: what a kernel may index of it. */
function reach(t: Tensor): number {
  if (t.size === 0) return 0;
  return t.shape.reduce((r, d, i) => r + (d - 1) * Math.abs(t.strides[i]), t.offset + 1);
}

/**
 * A launch's tensors in binding order, after checking each against the kernel's declaration:
 * every binding given once, the element dtype, the size the kernel may index (non-empty where the
 * declaration does not say), and no output bound to another binding as well.
 */
export function bindNamed(launch: Launch, tensors: Readonly<Record<string, Tensor>>): Tensor[] {
  const { spec } = launch;
  const sig = spec.signature;
  const decls = Object.entries(sig.bindings);
  for (const k of Object.keys(tensors)) {
    if (!(k in sig.bindings)) throw new Error(`kernel "${spec.name}" has no binding "${k}" (its bindings: ${decls.map(([n]) => n).join(', ')})`);
  }
  const list = decls.map(([name, d]) => {
    const t = tensors[name] as Tensor | undefined;
    if (!t) throw new Error(`kernel "${spec.name}": binding "${name}" not given`);
    const want = dtypeOf(d.type);
    if (t.dtype !== want) throw new Error(`kernel "${spec.name}": binding "${name}" reads ${d.type}, got a ${t.dtype} tensor ${t.shape.join('x') || 'scalar'}`);
    const need = d.len ? d.len(launch.values as never) : d.mayBeEmpty ? 0 : 1;
    const has = reach(t);
    if (has < need) throw new Error(`kernel "${spec.name}": binding "${name}" may index ${need} elements, the tensor covers ${has}`);
    return t;
  });
  decls.forEach(([name, d], i) => {
    if (d.access === 'read') return;
    decls.forEach(([other], j) => {
      if (j !== i && list[j].buffer === list[i].buffer) {
        throw new Error(`kernel "${spec.name}": output "${name}" shares its buffer with binding "${other}"`);
      }
    });
  });
  return list;
}

export function operand(t: Tensor): StridedOperand {
  return { strides: t.strides, offset: t.offset };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function fmtShape(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/** Normalises a possibly negative axis against `rank`. */
export function axisOf(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

const EXPRS: Record<string, string> = { ...UNARY, ...BINARY, ...TERNARY };

/**
 * Runs one map kernel over inputs already broadcast to `shape` (views with stride 0 are fine) into
 * a new contiguous f32 tensor. Records nothing: ops build their backward rules from these.
 */
export function mapRaw(op: UnaryOp | BinaryOp | TernaryOp, inputs: readonly Tensor[], shape: readonly number[], params: [number, number] = [0, 0], into?: Tensor): Tensor {
  // `into`: a destination view of `shape` (e.g. a slice of a concatenation), written in place.
  const out = into ? into.view(into.shape, into.strides, into.offset) : Tensor.empty(shape, 'f32');
  run(mapLaunch({ name: op, expr: EXPRS[op] }, shape, inputs.map(operand), operand(out), params), mapBindings(inputs, out));
  return out;
}
