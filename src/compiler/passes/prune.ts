/**
 * Pass `prune`: dead-code elimination from the roots (update ops and the loss). An op survives when it is a
 * root or some surviving op reads one of its outputs; then its inputs are needed too. This removes the
 * gradients of frozen weights and biases, every gradient below the earliest updated layer, and - because
 * unread outputs are dropped from surviving forward ops - the masks of layers no gradient passes through
 * (those layers run their inference variant). Saved activations need no special handling: a forward tensor
 * lives as long as its last reader, and only surviving backward ops read it.
 */
import type { Graph, Op } from '../ir/graph';
import type { Pass } from './pass';

const isRoot = (g: Graph, op: Op) => op.phase === 'update' || op.outputs.includes(g.io.loss);

export function pruneGraph(g: Graph): Graph {
  const live = new Set<number>([g.io.loss, g.io.logits]);
  const keep: Op[] = [];
  for (let i = g.ops.length - 1; i >= 0; i--) {
    const op = g.ops[i];
    if (!isRoot(g, op) && !op.outputs.some((t) => live.has(t))) continue;
    for (const t of op.inputs) live.add(t);
    keep.push(op);
  }
  keep.reverse();
  const ops = keep.map((op) => {
    if (op.phase !== 'forward' || op.outputs.length < 2) return op;
    const outputs = [op.outputs[0], ...op.outputs.slice(1).filter((t) => live.has(t))];
    return outputs.length === op.outputs.length ? op : { ...op, outputs };
  });
  return { ...g, ops };
}

export const prune: Pass = { name: 'prune', run: pruneGraph };
