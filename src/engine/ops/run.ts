// The one place ops hand a kernel launch to the queue.
import type { Launch } from '../../kernels/kernel.js';
import type { StridedOperand } from '../../kernels/elementwise.wgsl.js';
import { engine } from '../runtime.js';
import type { Tensor } from '../tensor.js';

export function run(launch: Launch, tensors: readonly Tensor[]): void {
  engine().queue.dispatch(
    launch,
    tensors.map((t) => t.buffer),
  );
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

import { BINARY, TERNARY, UNARY, mapLaunch, type BinaryOp, type TernaryOp, type UnaryOp } from '../../kernels/elementwise.wgsl.js';
import { Tensor as T } from '../tensor.js';

const EXPRS: Record<string, string> = { ...UNARY, ...BINARY, ...TERNARY };

/**
 * Runs one map kernel over inputs already broadcast to `shape` (views with stride 0 are fine) into
 * a new contiguous f32 tensor. Records nothing: ops build their backward rules from these.
 */
export function mapRaw(op: UnaryOp | BinaryOp | TernaryOp, inputs: readonly T[], shape: readonly number[], params: [number, number] = [0, 0], into?: T): T {
  // `into`: a destination view of `shape` (e.g. a slice of a concatenation), written in place.
  const out = into ? into.view(into.shape, into.strides, into.offset) : T.empty(shape, 'f32');
  run(mapLaunch({ name: op, expr: EXPRS[op] }, shape, inputs.map(operand), operand(out), params), [...inputs, out]);
  return out;
}
