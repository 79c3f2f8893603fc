// matmul over the last two axes, with an optional leading batch axis on either side (a side of
// rank 2 is broadcast over the other's batch). Transposed views are read through their strides.
import { matmulLaunch, type MatmulOperand, type MatmulShape } from '../../kernels/matmul.wgsl.js';
import { matmulSubgroupLaunch } from '../../kernels/matmul-subgroup.wgsl.js';
import { engine } from '../runtime.js';
import { record } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { sum } from './reduce.js';
import { fmtShape, run } from './run.js';
import { transpose } from './shape.js';

function operandOf(t: Tensor): MatmulOperand {
  const r = t.rank;
  return { offset: t.offset, sBatch: r === 3 ? t.strides[0] : 0, sRow: t.strides[r - 2], sCol: t.strides[r - 1] };
}

function launchFor(shape: MatmulShape, a: MatmulOperand, b: MatmulOperand) {
  const { tuning } = engine();
  return tuning.matmul === 'subgroup8' ? matmulSubgroupLaunch(shape, a, b, tuning.matmulTm) : matmulLaunch(shape, a, b);
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== 'f32' || b.dtype !== 'f32') throw new Error('matmul: expects f32 tensors');
  if (a.rank < 2 || a.rank > 3 || b.rank < 2 || b.rank > 3) {
    throw new Error(`matmul: supports rank 2 or 3, got ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`);
  }
  const m = a.shape[a.rank - 2];
  const k = a.shape[a.rank - 1];
  const n = b.shape[b.rank - 1];
  if (b.shape[b.rank - 2] !== k) throw new Error(`matmul: inner sizes differ in ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`);
  const ba = a.rank === 3 ? a.shape[0] : 1;
  const bb = b.rank === 3 ? b.shape[0] : 1;
  if (a.rank === 3 && b.rank === 3 && ba !== bb) throw new Error(`matmul: batch sizes differ in ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`);
  const batch = Math.max(ba, bb);
  const batched = a.rank === 3 || b.rank === 3;
  const out = Tensor.empty(batched ? [batch, m, n] : [m, n]);
  if (out.size > 0) run(launchFor({ batch, m, n, k }, operandOf(a), operandOf(b)), { am: a, bm: b, out });
  return record(
    out,
    'matmul',
    [a, b],
    (g) => {
      // dA = g B^T, dB = A^T g; a side broadcast over the batch sums its batch of gradients.
      let ga: Tensor | null = a.requiresGrad ? matmul(g, transpose(b)) : null;
      let gb: Tensor | null = b.requiresGrad ? matmul(transpose(a), g) : null;
      if (ga && a.rank === 2 && ga.rank === 3) ga = sum(ga, 0);
      if (gb && b.rank === 2 && gb.rank === 3) gb = sum(gb, 0);
      return [ga, gb];
    },
    [a, b],
  );
}
