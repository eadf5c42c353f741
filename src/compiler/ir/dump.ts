/**
 * Text dump and JSON export of an IR graph. The dump is one line per op in schedule order:
 *   12 backward pointwise_bwd_input  blocks.7.pw1  g:blocks.6.out f32[8,8,40] <- g:blocks.7.pw1 f32[8,8,160], @w ...
 * The JSON export follows the paper's pruned training graph: a list of ops with name, type, attrs and
 * inputs/outputs carrying name, shape, dtype and var_type.
 */
import type { Graph, Op, Tensor } from './graph';

const tensorText = (t: Tensor) =>
  `${t.data ? '@' : ''}${t.name} ${t.dtype === 'float32' ? 'f32' : t.dtype === 'int8' ? 'i8' : t.dtype === 'int32' ? 'i32' : 'mask'}[${t.shape.join(',')}]`;

function attrText(a: Op['attrs']): string {
  const parts: string[] = [];
  if ('shape' in a) {
    const { kernel, stride, kernelW, strideW } = a.shape;
    parts.push(
      kernelW === kernel && strideW === stride
        ? `k${kernel} s${stride}`
        : `k${kernel}x${kernelW} s${stride}x${strideW}`,
    );
  }
  if ('k' in a) parts.push('inStride' in a ? `k=${a.k}/${a.inStride}` : `k=${a.k}`);
  if ('accumulate' in a && a.accumulate) parts.push('accumulate');
  if (a.inplace !== undefined) parts.push(`inplace(${a.inplace})`);
  if ('stages' in a) parts.push(`stages=${a.stages.map((s) => s.name).join('+')}${a.add ? '+add' : ''}`);
  return parts.length ? `  {${parts.join(' ')}}` : '';
}

export function dumpOp(g: Graph, op: Op): string {
  const outs = op.outputs.map((id) => tensorText(g.tensors[id])).join(', ');
  const ins = op.inputs.map((id) => tensorText(g.tensors[id])).join(', ');
  return `${String(op.id).padStart(4)} ${op.phase.padEnd(8)} ${op.kind.padEnd(21)} ${op.name.padEnd(18)} ${outs} <- ${ins}${attrText(op.attrs)}`;
}

/** The whole graph as text, one op per line. */
export function dumpGraph(g: Graph): string {
  return [`graph: ${g.ops.length} ops, ${g.tensors.length} tensors`, ...g.ops.map((op) => dumpOp(g, op))].join('\n');
}

function varType(t: Tensor): string {
  if (t.varType === 'weight' || t.varType === 'bias') return `${t.trainable ? 'trainable' : 'frozen'}_${t.varType}`;
  return t.varType;
}

/** The attributes as JSON: every field, the update geometry last, a fused chain's stages without tensor ids. */
function jsonAttrs(a: Op['attrs']): Record<string, unknown> {
  if ('update' in a) {
    const { update, ...rest } = a;
    return { ...rest, update };
  }
  if (!('stages' in a)) return { ...a };
  const { stages, add, ...rest } = a;
  const out: Record<string, unknown> = { ...rest };
  out.stages = stages.map((s) => ({ name: s.name, kind: s.kind, shape: s.shape, quant: s.quant }));
  if (add) out.add = add;
  return out;
}

export interface GraphJsonOp {
  name: string;
  type: string;
  phase: string;
  attrs: Record<string, unknown>;
  inputs: { name: string; shape: number[]; dtype: string; var_type: string }[];
  outputs: { name: string; shape: number[]; dtype: string; var_type: string }[];
}

/** The pruned training graph as JSON (ops in schedule order). */
export function graphToJson(g: Graph): { format: 'tinytrain-graph'; version: 1; ops: GraphJsonOp[] } {
  const io = (id: number) => {
    const t = g.tensors[id];
    return { name: t.name, shape: [...t.shape], dtype: t.dtype, var_type: varType(t) };
  };
  return {
    format: 'tinytrain-graph',
    version: 1,
    ops: g.ops.map((op) => ({
      name: op.name,
      type: op.kind,
      phase: op.phase,
      attrs: jsonAttrs(op.attrs),
      inputs: op.inputs.map(io),
      outputs: op.outputs.map(io),
    })),
  };
}
