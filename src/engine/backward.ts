// Reverse-mode differentiation over the tape (micrograd's walk, with GPU memory in mind): nodes in
// reverse topological order, each visited once however many times its output was used; gradients
// of a tensor used twice are summed; once a node's backward has run, the activations it saved are
// released (unless kept or still saved by a node yet to run), so peak memory falls as we go.
import { noGrad, type GradNode } from './autograd.js';
import { add } from './ops/elementwise.js';
import { contiguous, fill } from './ops/shape.js';
import { Tensor } from './tensor.js';

export interface BackwardOptions {
  /** Keep every saved activation alive (e.g. to inspect intermediates after backward). */
  keepSaved?: boolean;
}

function topoOrder(root: Tensor): { tensor: Tensor; node: GradNode }[] {
  const order: { tensor: Tensor; node: GradNode }[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: a ResNet-101 graph is deep enough to strain recursion.
  const stack: { t: Tensor; next: number }[] = [{ t: root, next: 0 }];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const node = top.t.node;
    if (node && top.next < node.inputs.length) {
      const child = node.inputs[top.next++];
      if (child.node && !seen.has(child)) {
        seen.add(child);
        stack.push({ t: child, next: 0 });
      }
      continue;
    }
    stack.pop();
    if (node) order.push({ tensor: top.t, node });
  }
  return order;
}

function accumulate(grads: Map<Tensor, Tensor>, t: Tensor, g: Tensor): void {
  const prev = grads.get(t);
  if (!prev) {
    grads.set(t, g);
    return;
  }
  grads.set(t, add(prev, g));
  prev.dispose();
  g.dispose();
}

/** Computes d root / d leaf for every leaf with requiresGrad, adding into `leaf.grad`. */
export function backward(root: Tensor, seed?: Tensor, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) throw new Error(`backward: ${root} does not require grad (no recorded op reaches a parameter)`);
  if (!root.node) throw new Error(`backward: ${root} has no recorded graph (already backpropagated, or a leaf)`);
  noGrad(() => {
    const order = topoOrder(root);
    const grads = new Map<Tensor, Tensor>();
    const done = new Set<Tensor>();
    const release = (t: Tensor) => {
      if (options.keepSaved || t === root || t.kept || t.isDisposed || !t.node || t.savedBy > 0 || !done.has(t)) return;
      t.dispose();
    };
    grads.set(root, seed ? seed.view(seed.shape, seed.strides, seed.offset) : fill(root.shape, 1));
    for (let i = order.length - 1; i >= 0; i--) {
      const { tensor, node } = order[i];
      const g = grads.get(tensor);
      grads.delete(tensor);
      done.add(tensor);
      if (g) {
        const inputGrads = node.backward(g);
        node.inputs.forEach((input, k) => {
          const gi = inputGrads[k];
          if (!gi) return;
          if (!input.requiresGrad) {
            gi.dispose();
            return;
          }
          // One Tensor object per map entry, even when a rule hands the same tensor to two inputs.
          accumulate(grads, input, gi.view(gi.shape, gi.strides, gi.offset));
        });
        const spent = new Set<Tensor>([g]);
        for (const gi of inputGrads) if (gi) spent.add(gi);
        for (const t of spent) if (!t.isDisposed) t.dispose();
      }
      for (const s of node.saved) {
        s.savedBy--;
        release(s);
      }
      release(tensor);
    }
    // What is left are the leaves' gradients.
    for (let [leaf, g] of grads) {
      if (leaf.node) {
        g.dispose();
        continue;
      }
      if (!g.isContiguous || g.offset !== 0) {
        const c = contiguous(g);
        g.dispose();
        g = c;
      }
      if (leaf.grad) {
        const sum = add(leaf.grad, g);
        leaf.grad.dispose();
        g.dispose();
        leaf.grad = sum.keep();
      } else {
        leaf.grad = g.keep();
      }
    }
    for (const { tensor } of order) if (!tensor.isDisposed) tensor.node = null;
  });
}
