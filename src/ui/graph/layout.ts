/**
 * Graph layout: dagre places the forward graph top to bottom (residual edges route beside the chain); each
 * backward node sits level with the forward node it mirrors, in a second column, so the gradient visibly flows
 * back up. Laid out once per graph structure.
 */
import dagre from '@dagrejs/dagre';
import type { GraphView } from '../../state/graph-view';

export const NODE_W = 150;
export const NODE_H = 26;
const COLUMN_GAP = 70;

export interface Laid {
  pos: Map<string, { x: number; y: number }>;
  edgePoints: Map<string, { x: number; y: number }[]>;
  width: number;
  height: number;
}

export const edgeKey = (from: string, to: string) => `${from}->${to}`;

export function layoutGraph(g: GraphView): Laid {
  const d = new dagre.graphlib.Graph();
  d.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 10, marginx: 12, marginy: 12 });
  d.setDefaultEdgeLabel(() => ({}));
  for (const n of g.nodes)
    if (n.lane === 'forward')
      d.setNode(n.id, { width: n.kind === 'add' ? 26 : NODE_W, height: n.kind === 'add' ? 20 : NODE_H });
  for (const e of g.edges) if (e.lane === 'forward') d.setEdge(e.from, e.to, { weight: e.residual ? 1 : 4 });
  dagre.layout(d);
  const pos = new Map<string, { x: number; y: number }>();
  const edgePoints = new Map<string, { x: number; y: number }[]>();
  let maxX = 0;
  for (const id of d.nodes()) {
    const n = d.node(id);
    pos.set(id, { x: n.x, y: n.y });
    maxX = Math.max(maxX, n.x + NODE_W / 2);
  }
  const dx = maxX + COLUMN_GAP - 12 + NODE_W / 2;
  for (const e of d.edges()) edgePoints.set(edgeKey(e.v, e.w), d.edge(e).points ?? []);
  for (const n of g.nodes) {
    if (n.lane !== 'backward' || !n.mirrors) continue;
    const p = pos.get(n.mirrors);
    if (p) pos.set(n.id, { x: p.x + dx, y: p.y });
  }
  for (const e of g.edges) {
    if (e.lane !== 'backward') continue;
    const pts = edgePoints.get(edgeKey(e.to.slice(4), e.from.slice(4)));
    if (pts) edgePoints.set(edgeKey(e.from, e.to), pts.map((p) => ({ x: p.x + dx, y: p.y })).reverse());
  }
  const gl = d.graph();
  return { pos, edgePoints, width: (gl.width ?? 0) + dx, height: gl.height ?? 0 };
}
