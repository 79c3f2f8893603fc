// The tape. An op that had an input requiring grad records a node on its output: its inputs, the
// tensors its backward needs (saved), and the backward rule itself. `backward()` (backward.ts)
// walks the nodes in reverse topological order.
import type { Tensor } from './tensor.js';

export interface GradNode {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  /** Gradient of each input given the output's gradient; null where an input needs none. */
  readonly backward: (grad: Tensor) => readonly (Tensor | null)[];
  /** Tensors the backward reads; released once every node that saved them has run. */
  readonly saved: readonly Tensor[];
}

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** Runs `fn` without recording anything on the tape (inference, optimiser updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

/** Attaches a node to `out` when grad is enabled and some input requires it; returns `out`. */
export function record(
  out: Tensor,
  name: string,
  inputs: readonly Tensor[],
  backward: GradNode['backward'],
  saved: readonly Tensor[] = [],
): Tensor {
  if (!enabled || !inputs.some((t) => t.requiresGrad)) return out;
  out.requiresGrad = true;
  out.node = { name, inputs, backward, saved };
  for (const s of saved) s.savedBy++;
  return out;
}
