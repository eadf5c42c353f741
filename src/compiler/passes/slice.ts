/**
 * Pass `slice-saved`: a weight gradient over the first k of C input channels only needs those k channels of
 * its saved input. When every backward reader of a forward tensor uses k < C channels, a tt_slice_channels_s8
 * op right after the tensor's producer copies the first k channels into a smaller tensor, and the readers use
 * it (in_stride = k); the full tensor then dies with its last forward reader.
 */
import { GraphBuilder, isKind, producers, SAVED_INPUT_KINDS, withAttrs, type Graph, type Op } from '../ir/graph';
import type { Pass } from './pass';

const readsSaved = (op: Op) => isKind(op, SAVED_INPUT_KINDS);

export function sliceSaved(g: Graph): Graph {
  const readers = new Map<number, Op[]>();
  for (const op of g.ops) {
    if (op.phase === 'forward') continue;
    for (const t of op.inputs)
      if (g.tensors[t].varType === 'activation' || g.tensors[t].varType === 'input')
        (readers.get(t) ?? readers.set(t, []).get(t)!).push(op);
  }
  const b = new GraphBuilder(g);
  const slices = new Map<number, { k: number; out: number; c: number }>();
  for (const [t, ops] of readers) {
    const saved = ops.filter(readsSaved);
    if (saved.length !== ops.length) continue;
    const k = Math.max(...saved.map((o) => o.attrs.k));
    const c = saved[0].attrs.inStride;
    if (k >= c) continue;
    const x = g.tensors[t];
    // an fc reading a spatial tensor as a flat vector (a flatten view) has no channel slice to take
    if (x.shape[x.shape.length - 1] !== c) continue;
    const shape = [...x.shape.slice(0, -1), k];
    slices.set(t, {
      k,
      c,
      out: b.tensor({
        name: `${x.name}[:${k}]`,
        shape,
        dtype: 'int8',
        varType: 'activation',
        quant: x.quant,
        layer: x.layer,
      }),
    });
  }
  if (slices.size === 0) return g;
  const prod = producers(g);
  const sliceOp = (t: number) => {
    const s = slices.get(t)!;
    const x = g.tensors[t];
    const pixels = x.shape.length === 3 ? x.shape[0] * x.shape[1] : 1;
    b.op({
      kind: 'slice_channels',
      name: `${x.name}[:${s.k}]`,
      phase: 'forward',
      inputs: [t],
      outputs: [s.out],
      attrs: { pixels, c: s.c, k: s.k },
      layer: x.layer,
    });
  };
  for (const t of slices.keys()) if (!prod.has(t)) sliceOp(t);
  for (const op of g.ops) {
    const s = readsSaved(op) ? slices.get(op.inputs[1]) : undefined;
    if (s && readsSaved(op)) {
      const inputs = [op.inputs[0], s.out, ...op.inputs.slice(2)];
      b.op(withAttrs({ ...op, inputs }, { inStride: s.k }));
    } else b.op(op);
    for (const t of op.outputs) if (slices.has(t) && op.phase === 'forward') sliceOp(t);
  }
  return b.build(g.io);
}

export const slice: Pass = { name: 'slice-saved', run: sliceSaved };
