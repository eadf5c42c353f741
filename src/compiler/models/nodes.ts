/**
 * The generic model topology: a topologically ordered list of nodes, each naming the nodes it reads (INPUT: the
 * model input). Conv-like layers (conv, pointwise, depthwise, fc) point at their conv index (-1: the
 * classifier), so schemes and the per-layer table keep indexing layers the way they always did; the other
 * nodes are a sum of two earlier tensors (a residual add), the global average pool (TFLite MEAN, ONNX
 * GlobalAveragePool), a reshape / flatten (a view: HWC memory is already the flattened order) and, reserved for
 * the kernels a parallel branch adds, windowed average / max pools and explicit zero-point padding.
 *
 * Activations are [h, w, c] or, after a global pool or a flatten, [n]; an fc reads any tensor of n elements.
 * Nodes that compute a new tensor own its quantization (`output`); a layer's is its ConvLayer's, a reshape's
 * is its input's. The built-ins' lists come from ARCHS (arch.ts: archNodes); imported models bring their own.
 */
import type { QParams } from '../quant';

/** The model input, as a node reference. */
export const INPUT = -1;

/** A 2-d window: kernel and stride [height, width], zero padding before / after each spatial dimension. */
export interface Window2d {
  kernel: [number, number];
  stride: [number, number];
  pad: { top: number; left: number; bottom: number; right: number };
}

interface Base<K extends string> {
  op: K;
  name: string;
  /** Node indices this node reads (INPUT: the model input), in operand order. */
  inputs: number[];
  /** Inverted-bottleneck block the node belongs to (fusion groups a block), -1 outside blocks. */
  block: number;
}

export type TopoNode =
  | (Base<'layer'> & { conv: number })
  | Base<'add'>
  | Base<'mean'>
  | (Base<'reshape'> & { shape: number[] })
  | (Base<'avgpool'> & { window: Window2d })
  | (Base<'maxpool'> & { window: Window2d })
  | (Base<'pad'> & { pad: Window2d['pad'] });

export type NodeOp = TopoNode['op'];
export const NODE_OPS: readonly NodeOp[] = ['layer', 'add', 'mean', 'reshape', 'avgpool', 'maxpool', 'pad'];
/** Node ops whose output is a new tensor with its own quantization. */
export type QuantOwner = 'add' | 'mean' | 'avgpool' | 'maxpool' | 'pad';

/** A node of a model: a topology node plus the quantization of what it computes. */
export type ModelNode = TopoNode extends infer N ? (N extends { op: QuantOwner } ? N & { output: QParams } : N) : never;

/** The node type of op K (distributes, so a variant serving two ops, avgpool | maxpool, is found by either). */
export type NodeOf<N extends TopoNode, K extends NodeOp> = N extends unknown ? (K extends N['op'] ? N : never) : never;

/** What a walk does at each node op: one row per op, so a new op does not compile until every walk has it. */
export type NodeVisitor<T, N extends TopoNode = TopoNode> = {
  [K in NodeOp]: (n: NodeOf<N, K>, xs: T[], i: number) => T;
};

/** The one walk of a topology: visits every node with the values of its inputs; returns the last node's. */
export function walkNodes<T, N extends TopoNode>(nodes: readonly N[], input: T, v: NodeVisitor<T, N>): T {
  const values: T[] = [];
  const at = (r: number) => (r === INPUT ? input : values[r]);
  nodes.forEach((n, i) => {
    const f = v[n.op] as (n: N, xs: T[], i: number) => T;
    values.push(f(n, n.inputs.map(at), i));
  });
  if (values.length === 0) throw new Error('a model without nodes');
  return values[values.length - 1];
}

const elements = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Output size of a window along one dimension (floor: TFLite / ONNX pooling). */
export const windowOut = (inSize: number, k: number, s: number, before: number, after: number) =>
  Math.floor((inSize + before + after - k) / s) + 1;

export class TopologyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopologyError';
  }
}

/**
 * The output shape of every node, checked: inputs refer to earlier nodes, an add reads two tensors of one
 * shape, a pool / pad reads [h, w, c], a reshape keeps the element count. `layer(conv, inShape)` checks a
 * layer against the shape it reads and returns its output shape.
 */
export function nodeShapes(
  nodes: readonly TopoNode[],
  inputShape: readonly number[],
  layer: (conv: number, inShape: readonly number[], name: string) => number[],
): number[][] {
  const shapes: number[][] = [];
  const fail = (n: TopoNode, msg: string): never => {
    throw new TopologyError(`node ${n.name} (${n.op}): ${msg}`);
  };
  nodes.forEach((n, i) => {
    for (const r of n.inputs)
      if (!Number.isInteger(r) || r < INPUT || r >= i) fail(n, `input ${r} is not an earlier node or the input`);
    const want = n.op === 'add' ? 2 : 1;
    if (n.inputs.length !== want) fail(n, `expected ${want} input(s), got ${n.inputs.length}`);
    const xs = n.inputs.map((r) => (r === INPUT ? [...inputShape] : shapes[r]));
    const x = xs[0];
    const spatial = () => (x.length === 3 ? x : fail(n, `expects an [h, w, c] input, got [${x.join(', ')}]`));
    let out: number[];
    switch (n.op) {
      case 'layer':
        out = layer(n.conv, x, n.name);
        break;
      case 'add':
        if (x.join() !== xs[1].join()) fail(n, `adds [${x.join(', ')}] and [${xs[1].join(', ')}]`);
        out = x;
        break;
      case 'mean':
        out = [spatial()[2]];
        break;
      case 'reshape':
        if (elements(n.shape) !== elements(x)) fail(n, `cannot view [${x.join(', ')}] as [${n.shape.join(', ')}]`);
        out = [...n.shape];
        break;
      case 'avgpool':
      case 'maxpool': {
        const [h, w, c] = spatial();
        const { kernel: k, stride: s, pad: p } = n.window;
        out = [windowOut(h, k[0], s[0], p.top, p.bottom), windowOut(w, k[1], s[1], p.left, p.right), c];
        break;
      }
      case 'pad': {
        const [h, w, c] = spatial();
        out = [h + n.pad.top + n.pad.bottom, w + n.pad.left + n.pad.right, c];
      }
    }
    if (out.some((d) => !Number.isInteger(d) || d < 1)) fail(n, `empty output [${out.join(', ')}]`);
    shapes.push(out);
  });
  return shapes;
}
