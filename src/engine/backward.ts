// Reverse-mode differentiation over the tape (micrograd's walk, with GPU memory in mind): nodes in
// reverse topological order, each visited once however many times its output was used; gradients
// of a tensor used twice are summed; once a node's backward has run, the activations it saved are
// released (unless kept or still saved by a node yet to run) and what it owned is disposed, so peak
// memory falls as we go. Each rule runs inside `tidy` and what it returns is checked (one gradient
// per input, of the input's shape and dtype): accumulation broadcasts and the optimiser reads a
// parameter's size of its gradient, so a wrong rule would otherwise corrupt training silently.
import { noGrad, releaseOwned, type GradNode } from './autograd.js';
import { GradientRuleError } from './errors.js';
import { add } from './ops/elementwise.js';
import { fmtShape, sameShape } from './ops/run.js';
import { contiguous, fill } from './ops/shape.js';
import { Tensor, tidy } from './tensor.js';

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

/** Throws unless `grads` holds one gradient (or null) per input of `node`, each of its input's shape and dtype. */
function checkGradients(node: GradNode, grads: unknown): asserts grads is readonly (Tensor | null)[] {
  const n = node.inputs.length;
  if (!Array.isArray(grads)) throw new GradientRuleError(`backward of ${node.name}: the rule returned ${String(grads)}, not one gradient per input (${n})`);
  if (grads.length !== n) throw new GradientRuleError(`backward of ${node.name}: the rule returned ${grads.length} gradients for ${n} inputs`);
  grads.forEach((gi: unknown, k) => {
    if (gi === null) return;
    const x = node.inputs[k];
    if (!(gi instanceof Tensor)) throw new GradientRuleError(`backward of ${node.name}: the gradient of input ${k} is ${String(gi)}, not a tensor or null`);
    if (gi.dtype !== x.dtype || !sameShape(gi.shape, x.shape)) {
      throw new GradientRuleError(`backward of ${node.name}: input ${k} is ${x.dtype} ${fmtShape(x.shape)} but the rule returned a ${gi.dtype} ${fmtShape(gi.shape)} gradient`);
    }
  });
}

/** Runs `node`'s rule on its output's gradient `g` (then disposed) and adds what it returns into `grads`. */
function propagate(node: GradNode, g: Tensor, grads: Map<Tensor, Tensor>): void {
  let inputGrads: unknown = [];
  try {
    inputGrads = tidy(() => node.backward(g));
    checkGradients(node, inputGrads);
    node.inputs.forEach((input, k) => {
      const gi = (inputGrads as readonly (Tensor | null)[])[k];
      // One Tensor object per map entry, even when a rule hands the same tensor to two inputs.
      if (gi && input.requiresGrad) accumulate(grads, input, gi.view(gi.shape, gi.strides, gi.offset));
    });
  } finally {
    const spent = new Set<Tensor>([g]);
    if (Array.isArray(inputGrads)) for (const gi of inputGrads) if (gi instanceof Tensor) spent.add(gi);
    for (const t of spent) if (!t.isDisposed) t.dispose();
  }
}

/** Computes d root / d leaf for every leaf with requiresGrad, adding into `leaf.grad`. */
export function backward(root: Tensor, seed?: Tensor, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) throw new Error(`backward: ${root} does not require grad (no recorded op reaches a parameter)`);
  if (!root.node) throw new Error(`backward: ${root} has no recorded graph (already backpropagated, or a leaf)`);
  if (seed && (seed.dtype !== root.dtype || !sameShape(seed.shape, root.shape))) {
    throw new GradientRuleError(`backward: the seed is ${seed.dtype} ${fmtShape(seed.shape)} but ${root} needs one of its own shape and dtype`);
  }
  noGrad(() => {
    const order = topoOrder(root);
    const grads = new Map<Tensor, Tensor>();
    const done = new Set<Tensor>();
    const release = (t: Tensor) => {
      if (options.keepSaved || t === root || t.kept || t.isDisposed || !t.node || t.savedBy > 0 || !done.has(t)) return;
      t.dispose();
    };
    // After a node's backward, or in its place when no gradient reached it (or a rule failed):
    // what it saved and owned is released, then its output.
    const retire = (tensor: Tensor, node: GradNode) => {
      done.add(tensor);
      releaseOwned(node);
      for (const s of node.saved) {
        s.savedBy--;
        release(s);
      }
      release(tensor);
    };
    grads.set(root, seed ? seed.view(seed.shape, seed.strides, seed.offset) : fill(root.shape, 1));
    let i = order.length - 1;
    try {
      for (; i >= 0; i--) {
        const { tensor, node } = order[i];
        const g = grads.get(tensor);
        grads.delete(tensor);
        try {
          if (g) propagate(node, g, grads);
        } finally {
          retire(tensor, node);
        }
      }
    } catch (e) {
      // A rule failed: the nodes not yet run let go of what they hold, as if run, and the
      // gradients accumulated so far are freed; the leaves' .grad stay as they were.
      for (let j = i - 1; j >= 0; j--) retire(order[j].tensor, order[j].node);
      for (const g of grads.values()) g.dispose();
      for (const { tensor } of order) if (!tensor.isDisposed) tensor.node = null;
      throw e;
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
