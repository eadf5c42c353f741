/**
 * Inverted-bottleneck blocks found in a node list, for models that do not come from ARCHS (imported ones):
 * fusion (passes/fuse.ts) runs a frozen block band by band, and it groups nodes by their `block`. A block is a
 * depthwise layer, the pointwise expansion before it when only it reads that (and no earlier block owns it),
 * the pointwise projection after it when it is the depthwise's only reader, and the add of the block's input
 * and the projection when that is the projection's only reader: the shape of every ARCHS block, so a built-in
 * exported and imported again gets its blocks back. Only layers with the built-ins' geometry (pad k // 2,
 * output ceil(in / stride)) are grouped, the geometry the band schedule was checked on.
 */
import type { ConvLayer, Model } from './model';
import { INPUT, type ModelNode } from './nodes';

const builtinGeometry = (l: ConvLayer) =>
  l.pad === Math.floor(l.kernel / 2) &&
  l.outH === Math.ceil(l.inH / l.stride) &&
  l.outW === Math.ceil(l.inW / l.stride);

/** The model with block indices on the nodes of every block found (others -1). */
export function withInferredBlocks(m: Model): Model {
  const readers = new Map<number, number[]>();
  m.nodes.forEach((n, i) => n.inputs.forEach((r) => (readers.get(r) ?? readers.set(r, []).get(r)!).push(i)));
  const only = (r: number) => (readers.get(r)?.length === 1 ? readers.get(r)![0] : -1);
  const layerOf = (i: number) => {
    const n = i >= 0 ? m.nodes[i] : undefined;
    return n?.op === 'layer' && n.conv >= 0 ? m.convs[n.conv] : undefined;
  };
  const block = m.nodes.map(() => -1);
  let next = 0;
  m.nodes.forEach((n, d) => {
    const dw = layerOf(d);
    if (n.op !== 'layer' || dw?.kind !== 'depthwise' || !builtinGeometry(dw)) return;
    const pw2 = only(d);
    if (layerOf(pw2)?.kind !== 'pointwise') return;
    const before = n.inputs[0];
    const pw1 = before !== INPUT && block[before] < 0 && layerOf(before)?.kind === 'pointwise' && only(before) === d;
    const start = pw1 ? before : d;
    const blockIn = m.nodes[start].inputs[0];
    const close = only(pw2);
    const add = close >= 0 && m.nodes[close].op === 'add' && m.nodes[close].inputs.join() === `${blockIn},${pw2}`;
    for (const i of [...(pw1 ? [before] : []), d, pw2, ...(add ? [close] : [])]) block[i] = next;
    next++;
  });
  if (next === 0) return m;
  return { ...m, nodes: m.nodes.map((n, i): ModelNode => ({ ...n, block: block[i] })) };
}
