/**
 * Pass `fuse-frozen` (frozen-prefix fusion): an inverted-bottleneck block that no gradient passes through
 * (no op of it writes a mask) and whose inner tensors nothing else reads needs none of its activations after
 * the forward pass, so it can run band by band: pointwise expansion, depthwise and projection over ring
 * buffers of a few rows (the kernels' r0/r1 bands and in_ring/out_ring), as in MCUNetV2's patch-based
 * inference, instead of materializing the expanded tensor. The block becomes one `fused_chain` op; the stem
 * joins block 0 when that block has no residual. The band schedule and ring sizes are worked out when the
 * chain is lowered (lower/bands.ts).
 */
import { consumers, GraphBuilder, isKind, type ChainStage, type Graph, type NewOp, type Op } from '../ir/graph';
import { convKindOf } from '../ir/ops';
import type { Model } from '../models/model';
import type { Pass } from './pass';

const frozen = (op: Op | undefined): op is Op => op !== undefined && op.phase === 'forward' && op.outputs.length === 1;

const STAGE_KINDS = ['conv', 'pointwise', 'depthwise'] as const;
type StageOp = Op<(typeof STAGE_KINDS)[number]>;

/** The conv-like forward ops of a chain and the residual add closing it. */
interface Chain {
  convs: StageOp[];
  add?: Op<'add'>;
}

/** A block of the model's node list: its layers' conv indices in order and the name of its closing add. */
interface BlockNodes {
  index: number;
  layers: number[];
  add?: string;
}

/** The inverted-bottleneck blocks of a node list, in order (nodes with block >= 0). */
function blocksOf(m: Model): BlockNodes[] {
  const blocks = new Map<number, BlockNodes>();
  for (const n of m.nodes) {
    if (n.block < 0) continue;
    const blk = blocks.get(n.block) ?? blocks.set(n.block, { index: n.block, layers: [] }).get(n.block)!;
    if (n.op === 'layer') blk.layers.push(n.conv);
    else if (n.op === 'add') blk.add = n.name;
  }
  return [...blocks.values()];
}

/** The forward ops of one block (optionally preceded by the stem), or null when it cannot be fused. */
function chainOf(
  blk: BlockNodes,
  byLayer: Map<number, Op>,
  byName: Map<string, Op>,
  readers: Map<number, Op[]>,
): Chain | null {
  const ops = blk.layers.map((i) => byLayer.get(i));
  const named = blk.add ? byName.get(blk.add) : undefined;
  const add = named?.kind === 'add' ? named : undefined;
  if (blk.add && !add) return null;
  const stage = (op: Op | undefined): op is StageOp => frozen(op) && isKind(op, STAGE_KINDS);
  if (!ops.every(stage) || (add && !frozen(add))) return null;
  const stem = byLayer.get(0);
  const convs = blk.index === 0 && !blk.add && stage(stem) ? [stem, ...ops] : ops;
  for (let i = 0; i + 1 < convs.length; i++) {
    const r = readers.get(convs[i].outputs[0]) ?? [];
    if (r.length !== 1 || r[0] !== convs[i + 1]) return null;
  }
  if (add) {
    const r = readers.get(convs[convs.length - 1].outputs[0]) ?? [];
    if (r.length !== 1 || r[0] !== add || add.inputs[0] !== convs[0].inputs[0]) return null;
  }
  return { convs, add };
}

function fusedOp({ convs, add }: Chain): NewOp<'fused_chain'> {
  const stages: ChainStage[] = convs.map((op) => ({
    kind: op.kind,
    name: op.name,
    layer: op.layer!,
    shape: op.attrs.shape,
    quant: op.attrs.quant,
    w: op.inputs[1],
    b: op.inputs[2],
    mult: op.inputs[3],
  }));
  const block = convs[convs.length - 1].name.replace(/\.[^.]+$/, '');
  return {
    kind: 'fused_chain',
    name: convs[0].layer === 0 ? `first_conv+${block}` : block,
    phase: 'forward',
    inputs: [convs[0].inputs[0], ...stages.flatMap((s) => [s.w, s.b, s.mult])],
    outputs: [(add ?? convs[convs.length - 1]).outputs[0]],
    attrs: {
      stages,
      add: add && {
        name: add.name,
        quant: add.attrs.quant,
        bZp: add.attrs.bZp,
        ma: add.attrs.ma,
        mb: add.attrs.mb,
        fixed: add.attrs.fixed,
      },
    },
    layer: convs[0].layer,
  };
}

export function fuseFrozenGraph(m: Model, g: Graph): Graph {
  const byLayer = new Map<number, Op>();
  const byName = new Map<string, Op>();
  for (const op of g.ops) {
    if (op.phase !== 'forward') continue;
    if (op.layer !== undefined && convKindOf(op.kind)) byLayer.set(op.layer, op);
    byName.set(op.name, op);
  }
  const readers = consumers(g);
  const replace = new Map<number, NewOp<'fused_chain'>>();
  const drop = new Set<number>();
  blocksOf(m).forEach((blk) => {
    const chain = chainOf(blk, byLayer, byName, readers);
    if (!chain) return;
    replace.set(chain.convs[0].id, fusedOp(chain));
    for (const op of [...chain.convs.slice(1), ...(chain.add ? [chain.add] : [])]) drop.add(op.id);
  });
  if (replace.size === 0) return g;
  const out = new GraphBuilder(g);
  for (const op of g.ops) {
    if (drop.has(op.id)) continue;
    const f = replace.get(op.id);
    out.op(f ? { ...f, id: op.id } : op);
  }
  return out.build(g.io);
}

export function fuseFrozen(m: Model): Pass {
  return { name: 'fuse-frozen', run: (g) => fuseFrozenGraph(m, g) };
}
