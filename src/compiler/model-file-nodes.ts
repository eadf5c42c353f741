/**
 * The node list of a version-2 model file (models/nodes.ts, as JSON): each node's op, name, inputs (earlier
 * node indices, -1 for the model input), block, and per op its conv index (layer), output quantization (add,
 * mean, pools, pad), target shape (reshape), window (pools) or padding (pad). parseNodes checks the fields and
 * that the layer nodes name every layer of the file exactly once, the classifier (-1) last; shapes are checked
 * when the model is assembled (nodeShapes).
 */
import { jsonFields } from './json-fields';
import { NODE_OPS, type ModelNode, type NodeOp, type Window2d } from './models/nodes';
import type { QParams } from './quant';

type Fail = (path: string, msg: string) => never;

function padOf(v: unknown, path: string, fail: Fail): Window2d['pad'] {
  const { obj, int } = jsonFields(fail);
  const o = obj(v, path);
  const side = (k: string) => int(o[k], `${path}.${k}`, 0, 64);
  return { top: side('top'), left: side('left'), bottom: side('bottom'), right: side('right') };
}

function pair(v: unknown, path: string, fail: Fail, lo: number, hi: number): [number, number] {
  const { int } = jsonFields(fail);
  if (!Array.isArray(v) || v.length !== 2) fail(path, 'expected [height, width]');
  return [int(v[0], `${path}[0]`, lo, hi), int(v[1], `${path}[1]`, lo, hi)];
}

function parseNode(
  v: unknown,
  path: string,
  i: number,
  fail: Fail,
  qparams: (v: unknown, path: string) => QParams,
): ModelNode {
  const { obj, int, str } = jsonFields(fail);
  const o = obj(v, path);
  const op = o.op as NodeOp;
  if (!NODE_OPS.includes(op)) fail(`${path}.op`, `expected one of ${NODE_OPS.join(', ')}, got ${JSON.stringify(o.op)}`);
  const name = str(o.name, `${path}.name`);
  const where = `${path} (${name})`;
  if (!Array.isArray(o.inputs) || o.inputs.length < 1 || o.inputs.length > 2)
    fail(`${where}.inputs`, 'expected one or two node indices');
  const inputs = (o.inputs as unknown[]).map((r, j) => int(r, `${where}.inputs[${j}]`, -1, i - 1));
  const block = o.block === undefined ? -1 : int(o.block, `${where}.block`, -1, 1 << 10);
  const base = { name, inputs, block };
  const output = () => qparams(o.output, `${where}.output`);
  switch (op) {
    case 'layer':
      return { op, ...base, conv: int(o.conv, `${where}.conv`, -1, 1 << 16) };
    case 'add':
    case 'mean':
      return { op, ...base, output: output() };
    case 'reshape': {
      if (!Array.isArray(o.shape) || o.shape.length < 1 || o.shape.length > 3)
        fail(`${where}.shape`, 'expected one to three dimensions');
      const shape = (o.shape as unknown[]).map((d, j) => int(d, `${where}.shape[${j}]`, 1, 1 << 24));
      return { op, ...base, shape };
    }
    case 'avgpool':
    case 'maxpool': {
      const w = obj(o.window, `${where}.window`);
      const window: Window2d = {
        kernel: pair(w.kernel, `${where}.window.kernel`, fail, 1, 64),
        stride: pair(w.stride, `${where}.window.stride`, fail, 1, 64),
        pad: padOf(w.pad, `${where}.window.pad`, fail),
      };
      return { op, ...base, window, output: output() };
    }
    case 'pad':
      return { op, ...base, pad: padOf(o.pad, `${where}.pad`, fail), output: output() };
  }
}

/** Parses a v2 file's nodes; `layerCount` layers in the file (convs then the classifier). */
export function parseNodes(
  v: unknown,
  layerCount: number,
  fail: Fail,
  qparams: (v: unknown, path: string) => QParams,
): ModelNode[] {
  if (!Array.isArray(v) || v.length < 1) fail('nodes', 'expected a non-empty array');
  const nodes = (v as unknown[]).map((n, i) => parseNode(n, `nodes[${i}]`, i, fail, qparams));
  const seen = new Set<number>();
  nodes.forEach((n, i) => {
    if (n.op !== 'layer') return;
    if (n.conv >= layerCount - 1) fail(`nodes[${i}].conv`, `${n.conv} is not a layer of the file`);
    if (seen.has(n.conv)) fail(`nodes[${i}].conv`, `layer ${n.conv} appears twice`);
    seen.add(n.conv);
  });
  if (seen.size !== layerCount) fail('nodes', `the nodes use ${seen.size} of the file's ${layerCount} layers`);
  const last = nodes[nodes.length - 1];
  if (last.op !== 'layer' || last.conv !== -1) fail('nodes', 'the last node must be the classifier (conv -1)');
  return nodes;
}
