/**
 * Pass `reorder` (operator reordering, PAPER-FACTS section 4): each weight gradient is consumed by its update
 * as soon as it exists, so no full weight-gradient buffer stays alive. A weight gradient feeding an update
 * (`*_bwd_weight` + `update_s8`) becomes one fused `*_bwd_update` op at the gradient's place: it computes the
 * gradient one row at a time into a small scratch and applies the QAS-SGD rule at once (bit-identical to the
 * unfused pair). A bias update moves right after its gradient. The layer's input gradient was emitted before
 * its weight gradient, so it still reads the weights of this step: reordered and plain schedules compute the
 * same update.
 */
import { BWD_WEIGHT_KINDS, GraphBuilder, isKind, producers, type Graph, type Op } from '../ir/graph';
import { LAYER_KIND_TABLE } from '../layer-kinds';
import { convKindOf } from '../ir/ops';
import type { Pass } from './pass';

export function reorderGraph(g: Graph): Graph {
  const prod = producers(g);
  const fuseAt = new Map<number, Op<'update_s8'>>();
  const afterOp = new Map<number, Op>();
  for (const op of g.ops) {
    if (op.kind === 'update_s8') {
      const bw = prod.get(op.inputs[0]);
      if (bw && isKind(bw, BWD_WEIGHT_KINDS)) fuseAt.set(bw.id, op);
    } else if (op.kind === 'update_s32') {
      const bb = prod.get(op.inputs[0]);
      if (bb) afterOp.set(bb.id, op);
    }
  }
  const moved = new Set([...fuseAt.values(), ...afterOp.values()].map((o) => o.id));
  const b = new GraphBuilder(g);
  for (const op of g.ops) {
    if (moved.has(op.id)) continue;
    const u = fuseAt.get(op.id);
    if (u && isKind(op, BWD_WEIGHT_KINDS)) {
      const kind = convKindOf(op.kind);
      const { shape, k } = op.attrs;
      const scratch = b.tensor({
        name: `scratch:${op.name}`,
        shape: [LAYER_KIND_TABLE[kind].updateScratchBytes(shape, k) / 4],
        dtype: 'float32',
        varType: 'scratch',
        layer: op.layer,
      });
      const [gAcc, x] = op.inputs;
      const [, q, p, w] = u.inputs;
      b.op({
        kind: `${kind}_bwd_update`,
        name: op.name,
        phase: 'update',
        inputs: [gAcc, x, q, p, w],
        outputs: [u.outputs[0], scratch],
        attrs: { ...op.attrs, inplace: 4 },
        layer: op.layer,
        id: u.id,
      });
      continue;
    }
    b.op(op);
    const after = afterOp.get(op.id);
    if (after) b.op(after);
  }
  return b.build(g.io);
}

export const reorder: Pass = { name: 'reorder', run: reorderGraph };
