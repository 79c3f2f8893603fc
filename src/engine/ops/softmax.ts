// softmax / log-softmax along one axis.
import { softmaxBackwardLaunch, softmaxForwardLaunch, type SoftmaxKind } from '../../kernels/softmax.wgsl.js';
import { record } from '../autograd.js';
import { Tensor, sizeOf } from '../tensor.js';
import { axisOf, run } from './run.js';
import { dense } from './shape.js';

function along(kind: SoftmaxKind, x: Tensor, axis: number): Tensor {
  const ax = axisOf(axis, x.rank, kind);
  const outer = sizeOf(x.shape.slice(0, ax));
  const k = x.shape[ax];
  const inner = sizeOf(x.shape.slice(ax + 1));
  const src = dense(x);
  const y = Tensor.empty(x.shape);
  run(softmaxForwardLaunch(kind, outer, k, inner), { x: src, y });
  src.dispose();
  return record(
    y,
    kind,
    [x],
    (g) => {
      const gc = dense(g);
      const dx = Tensor.empty(x.shape);
      run(softmaxBackwardLaunch(kind, outer, k, inner), { y, g: gc, dx });
      return [dx];
    },
    [y],
  );
}

export const softmax = (x: Tensor, axis = -1): Tensor => along('softmax', x, axis);
export const logSoftmax = (x: Tensor, axis = -1): Tensor => along('log_softmax', x, axis);
