// Gather by index along an axis, and one-hot encoding.
import { gatherGradLaunch, gatherLaunch, oneHotLaunch, scatterUniqueLaunch } from '../../kernels/gather.wgsl.js';
import { record } from '../autograd.js';
import { Tensor, sizeOf } from '../tensor.js';
import { axisOf, fmtShape, run } from './run.js';
import { dense, zeros } from './shape.js';

/**
 * `x` indexed along `axis` by the i32 vector `index` (values in [0, x.shape[axis])); the axis
 * takes index's length. Indices are not bounds-checked on the GPU: the caller validates them.
 * With `unique` the caller promises distinct indices and the backward is a plain scatter
 * (a repeated index would then receive one of its gradients, not their sum).
 */
export function gather(x: Tensor, axis: number, index: Tensor, options: { unique?: boolean } = {}): Tensor {
  const ax = axisOf(axis, x.rank, 'gather');
  if (index.dtype !== 'i32' || index.rank !== 1) throw new Error(`gather: index must be a 1-D i32 tensor, got ${index.dtype} ${fmtShape(index.shape)}`);
  const outer = sizeOf(x.shape.slice(0, ax));
  const k = x.shape[ax];
  const inner = sizeOf(x.shape.slice(ax + 1));
  const j = index.shape[0];
  const shape = [...x.shape];
  shape[ax] = j;
  const src = dense(x);
  const idx = dense(index);
  const out = Tensor.empty(shape);
  if (out.size > 0) run(gatherLaunch(outer, k, inner, j), { x: src, idx, out });
  src.dispose();
  idx.dispose();
  return record(
    out,
    'gather',
    [x],
    (g) => {
      const gc = dense(g);
      const idx = dense(index);
      let dx: Tensor;
      if (options.unique) {
        dx = zeros(x.shape);
        run(scatterUniqueLaunch(outer, k, inner, j), { g: gc, idx, dx });
      } else {
        dx = Tensor.empty(x.shape);
        run(gatherGradLaunch(outer, k, inner, j), { g: gc, idx, dx });
      }
      return [dx];
    },
    [index],
  );
}

/** [...shape, classes] f32 one-hot rows of i32 `labels`; labels outside [0, classes) give zeros. */
export function oneHot(labels: Tensor, classes: number): Tensor {
  if (labels.dtype !== 'i32') throw new Error(`oneHot: labels must be i32, got ${labels.dtype}`);
  const src = dense(labels);
  const out = Tensor.empty([...labels.shape, classes]);
  if (out.size > 0) run(oneHotLaunch(labels.size, classes), { labels: src, out });
  src.dispose();
  return out;
}
