/**
 * The graph the graph view draws, read off a compiled plan: the forward graph (one node per conv, residual
 * adds, pool, classifier, loss) and its mirror, the backward graph, where each node says whether the plan
 * computes it (gradient), also updates weights there (updated) or pruned it away (pruned).
 */
import { layerKind } from '../compiler/layer-kinds';
import { walkNodes, type NodeOf, type TopoNode } from '../compiler/models/nodes';
import type { PlanLayer, TrainingPlan } from '../compiler/plan';
import type { ModelInfo } from './compile';

export type NodeStatus = 'frozen' | 'updated' | 'gradient' | 'pruned';
export type NodeKind = 'input' | 'conv' | 'pointwise' | 'depthwise' | 'add' | 'pool' | 'fc' | 'loss';

export interface GraphNode {
  id: string;
  lane: 'forward' | 'backward';
  kind: NodeKind;
  label: string;
  sub: string;
  /** the layer this node belongs to (for linked highlighting and editing), null for add / pool / loss */
  layer: string | null;
  status: NodeStatus;
  /** tooltip lines: shapes and bytes */
  detail: string[];
  /** forward node a backward node mirrors */
  mirrors?: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  lane: 'forward' | 'backward';
  pruned: boolean;
  residual: boolean;
}

export interface GraphView {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const RATIO_TEXT: Record<number, string> = { 0.125: '1/8', 0.25: '1/4', 0.5: '1/2', 1: '' };

function convDetail(l: PlanLayer): string[] {
  const outW = l.outH;
  return [
    `${l.kind} ${l.kernel}×${l.kernel}, stride ${l.stride}${l.fused ? ', fused (band by band)' : ''}`,
    `in ${l.inH}×${l.inH}×${l.inC} int8 (${l.inH * l.inH * l.inC} B) → out ${l.outH}×${outW}×${l.outC} (${l.outH * outW * l.outC} B)`,
    `weights ${l.weightBytes} B, bias ${l.biasBytes} B, ${(l.macs / 1e6).toFixed(2)} M MACs`,
    l.weightRatio > 0 || l.updateBias
      ? `updates ${l.weightRatio > 0 ? `${l.weightChannels} channels of the weight` : 'no weight'}${l.updateBias ? ' + bias' : ''}`
      : 'frozen',
    ...(l.savedBytes > 0 ? [`saves ${l.savedBytes} B of its input for the weight gradient`] : []),
  ];
}

/** Builds the forward + backward view graph of a plan. */
export function buildGraphView(plan: TrainingPlan, info: ModelInfo): GraphView {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const byName = new Map(plan.layers.map((l) => [l.name, l]));
  const convs = plan.layers.filter((l) => l.index >= 0).sort((a, b) => a.index - b.index);
  const classifier = plan.layers.find((l) => l.index < 0);
  const updated = (l: PlanLayer) => l.weightRatio > 0 || l.updateBias;
  /** gradient reaches the output of forward node id */
  const gradAt = new Map<string, boolean>();

  const [h, , c] = plan.model ? [plan.model.resolution, 0, plan.model.inChannels] : [0, 0, 0];
  nodes.push({
    id: 'input',
    lane: 'forward',
    kind: 'input',
    label: 'input',
    sub: `${h}×${h}×${c}`,
    layer: null,
    status: 'frozen',
    detail: [`image ${h}×${h}×${c} int8 (${h * h * c} B)`],
  });
  gradAt.set('input', false);
  const fwd = (from: string, to: string, residual = false) =>
    edges.push({ from, to, lane: 'forward', pruned: false, residual });

  const addConv = (l: PlanLayer, from: string) => {
    nodes.push({
      id: l.name,
      lane: 'forward',
      kind: l.kind,
      label: l.name,
      sub: `${layerKind(l).tag(l.kernel)} ${l.inC}→${l.outC}${l.stride > 1 ? ' /2' : ''}`,
      layer: l.name,
      status: updated(l) ? 'updated' : 'frozen',
      detail: convDetail(l),
    });
    gradAt.set(l.name, l.gradient);
    fwd(from, l.name);
    return l.name;
  };

  const addResidual = (n: NodeOf<TopoNode, 'add'>, blockIn: string, cur: string) => {
    const id = n.name;
    nodes.push({
      id,
      lane: 'forward',
      kind: 'add',
      label: '+',
      sub: '',
      layer: null,
      status: 'frozen',
      detail: [n.block >= 0 ? `residual add of blocks.${n.block}` : `add of ${blockIn} and ${cur}`],
    });
    fwd(cur, id);
    fwd(blockIn, id, true);
    gradAt.set(id, byName.get(cur)?.gradient ?? gradAt.get(cur) ?? false);
    return id;
  };
  const addPool = (cur: string) => {
    const last = convs[convs.length - 1];
    nodes.push({
      id: 'pool',
      lane: 'forward',
      kind: 'pool',
      label: 'avg pool',
      sub: last ? `${last.outH}×${last.outH}→1` : '',
      layer: null,
      status: 'frozen',
      detail: ['global average pool'],
    });
    fwd(cur, 'pool');
    gradAt.set(
      'pool',
      convs.some((l) => l.gradient),
    );
    return 'pool';
  };
  const passThrough = (_n: TopoNode, [x]: string[]) => x;
  const cur = walkNodes(info.nodes, 'input', {
    layer: (n, [x]) => {
      const l = n.conv < 0 ? classifier : convs[n.conv];
      return l ? addConv(l, x) : x;
    },
    add: (n, [a, x]) => addResidual(n, a, x),
    mean: (_n, [x]) => addPool(x),
    reshape: passThrough,
    avgpool: passThrough,
    maxpool: passThrough,
    pad: passThrough,
  });
  nodes.push({
    id: 'loss',
    lane: 'forward',
    kind: 'loss',
    label: 'softmax xent',
    sub: 'loss',
    layer: null,
    status: 'frozen',
    detail: ['softmax cross-entropy on the dequantized logits'],
  });
  fwd(cur, 'loss');
  gradAt.set('loss', true);

  mirrorBackward(nodes, edges, byName, gradAt);
  return { nodes, edges };
}

/** Adds one backward node per forward node (but the input) and the reversed edges. */
function mirrorBackward(
  nodes: GraphNode[],
  edges: GraphEdge[],
  byName: Map<string, PlanLayer>,
  gradAt: Map<string, boolean>,
) {
  const forwardEdges = edges.slice();
  for (const n of nodes.slice()) {
    if (n.id === 'input') continue;
    const l = n.layer ? byName.get(n.layer) : undefined;
    const flows = gradAt.get(n.id) ?? false;
    const needsInputGrad = forwardEdges.some((e) => e.to === n.id && gradAt.get(e.from));
    let sub = '∂x';
    let status: NodeStatus = flows ? 'gradient' : 'pruned';
    if (l) {
      const parts = [
        l.weightRatio > 0 ? `ΔW${RATIO_TEXT[l.weightRatio] ? ` ${RATIO_TEXT[l.weightRatio]}` : ''}` : '',
        l.updateBias ? 'Δb' : '',
        flows && needsInputGrad ? '∂x' : '',
      ].filter(Boolean);
      sub = parts.join(' ') || (flows ? '—' : 'pruned');
      if (flows && (l.weightRatio > 0 || l.updateBias)) status = 'updated';
    } else if (n.kind === 'loss') sub = '∂logits';
    if (!flows) sub = 'pruned';
    nodes.push({
      id: `bwd:${n.id}`,
      lane: 'backward',
      kind: n.kind,
      label: n.kind === 'add' ? '+' : n.kind === 'loss' ? 'loss grad' : `∇ ${n.label}`,
      sub,
      layer: n.layer,
      status,
      mirrors: n.id,
      detail: flows ? [`backward of ${n.label}: ${sub}`] : [`pruned: no gradient is needed at ${n.label}`],
    });
  }
  for (const e of forwardEdges) {
    if (e.from === 'input') continue;
    edges.push({
      from: `bwd:${e.to}`,
      to: `bwd:${e.from}`,
      lane: 'backward',
      pruned: !gradAt.get(e.from),
      residual: e.residual,
    });
  }
}
