// The tape. An op that had an input requiring grad records a node on its output: its inputs, the
// activations its backward reads (saved), the tensors it made only for its backward (owned), and
// the backward rule itself. `backward()` (backward.ts) walks the nodes in reverse topological
// order, runs each rule inside `tidy` and checks what it returns.
import type { GradNode, Tensor } from './tensor.js';

export type { GradNode };

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

/**
 * Attaches a node to `out` when grad is enabled and some input requires it; returns `out`. The
 * `owned` tensors pass to the node (they leave every `tidy` scope and live as long as it does);
 * when no node is recorded nothing will read them, so they are disposed here.
 */
export function record(
  out: Tensor,
  name: string,
  inputs: readonly Tensor[],
  backward: GradNode['backward'],
  saved: readonly Tensor[] = [],
  owned: readonly Tensor[] = [],
): Tensor {
  if (!enabled || !inputs.some((t) => t.requiresGrad)) {
    for (const t of owned) t.dispose();
    return out;
  }
  out.requiresGrad = true;
  out.node = { name, inputs, backward, saved, owned };
  for (const s of saved) s.savedBy++;
  for (const t of owned) t.keep();
  return out;
}

/** Disposes what a node owns (after its backward ran, or when it will never run). */
export function releaseOwned(node: GradNode): void {
  for (const t of node.owned) if (!t.isDisposed) t.dispose();
}
