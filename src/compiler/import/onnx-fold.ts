/**
 * Shape arithmetic that exporters leave in the graph, folded to constants on import. PyTorch writes
 * `x.view(x.size(0), -1)` as Shape -> Gather -> Unsqueeze -> Concat -> Reshape; with static shapes every one
 * of these is a constant, so they never become ops. Identity on an activation is an alias of its input.
 * Only integer / float constants along axis 0 are folded; anything else is refused with the node named.
 */
import { ONNX_DTYPE, type OnnxNode } from './onnx-proto';
import type { OnnxContext } from './onnx';
import { attrInt, attrInts, inputAt as inp, outputAt as out, type OnnxConverter } from './onnx-op-helpers';

function int64(ctx: OnnxContext, node: OnnxNode, dims: number[], values: number[]): null {
  ctx.addConstant(out(node, 0), { dims, data_type: ONNX_DTYPE.INT64, int64_data: values });
  return null;
}

function constInts(ctx: OnnxContext, name: string, node: string): number[] {
  const t = ctx.dtypeOf(name);
  if (t !== ONNX_DTYPE.INT64 && t !== ONNX_DTYPE.INT32)
    ctx.fail('unsupported-op', `node ${node} computes on ${name}, which is not a constant integer tensor`);
  return Array.from(ctx.values(name, `input of node ${node}`) as number[]);
}

export const FOLDED_OPS: Record<string, OnnxConverter> = {
  Shape: (ctx, node) => {
    const x = inp(node, 0);
    const id = ctx.id(x);
    const dims = id !== undefined ? ctx.shape(id) : ctx.dimsOf(x);
    return int64(ctx, node, [dims.length], [...dims]);
  },
  Gather: (ctx, node, name) => {
    if (attrInt(node, 'axis', 0) !== 0 || ctx.dimsOf(inp(node, 0)).length !== 1)
      ctx.fail('unsupported-op', `node ${name} is a Gather other than indexing a 1-D constant`);
    const data = constInts(ctx, inp(node, 0), name);
    const idx = constInts(ctx, inp(node, 1), name).map((i) => (i < 0 ? i + data.length : i));
    if (idx.some((i) => data[i] === undefined)) ctx.fail('invalid', `node ${name} indexes past its input`);
    return int64(
      ctx,
      node,
      ctx.dimsOf(inp(node, 1)),
      idx.map((i) => data[i]),
    );
  },
  Unsqueeze: (ctx, node, name) => {
    const values = constInts(ctx, inp(node, 0), name);
    const axes = inp(node, 1) ? constInts(ctx, inp(node, 1), name) : attrInts(node, 'axes', []);
    const rank = ctx.dimsOf(inp(node, 0)).length + axes.length;
    const dims = [...ctx.dimsOf(inp(node, 0))];
    for (const a of axes.map((v) => (v < 0 ? v + rank : v)).sort((p, q) => p - q)) dims.splice(a, 0, 1);
    return int64(ctx, node, dims, values);
  },
  Concat: (ctx, node, name) => {
    const parts = (node.input ?? []).map((i) => {
      if (ctx.dimsOf(i).length !== 1) ctx.fail('unsupported-op', `node ${name} concatenates activations`);
      return constInts(ctx, i, name);
    });
    const values = parts.flat();
    return int64(ctx, node, [values.length], values);
  },
  Identity: (ctx, node, name) => {
    const x = inp(node, 0);
    const id = ctx.id(x);
    if (id !== undefined) ctx.alias(out(node, 0), id);
    else if (ctx.isConstant(x)) ctx.aliasConstant(out(node, 0), x);
    else ctx.fail('invalid', `node ${name} reads ${x}, which no earlier node produces`);
    return null;
  },
};
