/**
 * The graph view (Netron-like): forward graph on the left, the pruned backward graph mirrored on the right.
 * Frozen, updated, gradient-only and pruned nodes look different; hover shows shapes and bytes, click a layer
 * to edit its update, and the hovered layer is highlighted here as everywhere else.
 */
import * as d3 from 'd3';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { GraphNode } from '../../state/graph-view';
import { usePlayground } from '../../state/playground';
import { useGraphView } from '../../state/hooks';
import { Term } from '../Term';
import { LayerEditor } from './LayerEditor';
import { NODE_H, NODE_W, edgeKey, layoutGraph } from './layout';

const line = d3
  .line<{ x: number; y: number }>()
  .x((p) => p.x)
  .y((p) => p.y)
  .curve(d3.curveBasis);

export function GraphView() {
  const graph = useGraphView();
  const hoverLayer = usePlayground((s) => s.hoverLayer);
  const hoverSource = usePlayground((s) => s.hoverSource);
  const setHover = usePlayground((s) => s.setHover);
  const [selected, setSelected] = useState<string | null>(null);
  const [tip, setTip] = useState<{ node: GraphNode; x: number; y: number } | null>(null);
  const [zoom, setZoom] = useState(1);
  const scroller = useRef<HTMLDivElement>(null);
  const structure = graph ? graph.nodes.map((n) => n.id).join('|') : '';
  const laid = useMemo(() => (graph ? layoutGraph(graph) : null), [structure]);

  useEffect(() => {
    if (!hoverLayer || hoverSource === 'graph' || !laid || !scroller.current) return;
    const p = laid.pos.get(hoverLayer);
    const el = scroller.current;
    if (p && (p.y * zoom < el.scrollTop || p.y * zoom > el.scrollTop + el.clientHeight - 20)) {
      el.scrollTo({ top: p.y * zoom - el.clientHeight / 2 });
    }
  }, [hoverLayer, hoverSource, laid, zoom]);

  if (!graph || !laid) return <div className="graph-empty">no plan to draw</div>;
  const hover = (n: GraphNode | null, ev?: React.MouseEvent | React.FocusEvent) => {
    setHover(n?.layer ?? null, 'graph');
    if (!n || !ev || !scroller.current) return setTip(null);
    const box = scroller.current.getBoundingClientRect();
    const t = (ev.currentTarget as Element).getBoundingClientRect();
    setTip({
      node: n,
      x: t.left - box.left + scroller.current.scrollLeft,
      y: t.bottom - box.top + scroller.current.scrollTop + 4,
    });
  };
  const choose = (n: GraphNode) => n.layer && setSelected(n.layer === selected ? null : n.layer);

  return (
    <div className="graph-view">
      <div className="graph-toolbar">
        <span className="legend-item">
          <i className="node-swatch frozen" />
          <Term term="frozen" />
        </span>
        <span className="legend-item">
          <i className="node-swatch updated" />
          <Term term="updated" />
        </span>
        <span className="legend-item">
          <i className="node-swatch gradient" />
          <Term term="gradient only" />
        </span>
        <span className="legend-item">
          <i className="node-swatch pruned" />
          <Term term="pruned" />
        </span>
        <span className="legend-item">
          <Term term="dW">ΔW</Term> <Term term="db">Δb</Term> <Term term="dx">∂x</Term>
        </span>
        <span className="spacer" />
        <button aria-label="zoom out" onClick={() => setZoom((z) => Math.max(0.4, z / 1.25))}>
          −
        </button>
        <button aria-label="zoom in" onClick={() => setZoom((z) => Math.min(2.5, z * 1.25))}>
          +
        </button>
      </div>
      {selected && <LayerEditor layer={selected} onClose={() => setSelected(null)} />}
      <div className="graph-scroll" ref={scroller} data-testid="graph">
        <svg width={laid.width * zoom} height={laid.height * zoom} viewBox={`0 0 ${laid.width} ${laid.height}`}>
          <text x={12} y={10} className="lane-title">
            forward
          </text>
          <text x={(laid.pos.get('bwd:loss')?.x ?? 0) - NODE_W / 2} y={10} className="lane-title">
            backward (pruned)
          </text>
          {graph.edges.map((e) => {
            const pts = laid.edgePoints.get(edgeKey(e.from, e.to));
            return pts ? (
              <path
                key={edgeKey(e.from, e.to)}
                d={line(pts) ?? ''}
                className={`edge ${e.lane}${e.pruned ? ' pruned' : ''}${e.residual ? ' residual' : ''}`}
              />
            ) : null;
          })}
          {graph.nodes.map((n) => {
            const p = laid.pos.get(n.id);
            if (!p) return null;
            const small = n.kind === 'add';
            const w = small ? 26 : NODE_W;
            const h = small ? 20 : NODE_H;
            const hot = n.layer !== null && n.layer === hoverLayer;
            return (
              <g
                key={n.id}
                transform={`translate(${p.x - w / 2},${p.y - h / 2})`}
                className={`node ${n.status} ${n.lane}${hot ? ' hovered' : ''}${n.layer && n.layer === selected ? ' selected' : ''}`}
                data-testid={`graph.node.${n.id}`}
                data-status={n.status}
                tabIndex={n.layer ? 0 : -1}
                role={n.layer ? 'button' : undefined}
                aria-label={n.layer ? `${n.label} ${n.sub}` : undefined}
                aria-description={n.layer ? n.status : undefined}
                onMouseEnter={(ev) => hover(n, ev)}
                onMouseLeave={() => hover(null)}
                onFocus={(ev) => hover(n, ev)}
                onBlur={() => hover(null)}
                onClick={() => choose(n)}
                onKeyDown={(ev) => (ev.key === 'Enter' || ev.key === ' ') && (ev.preventDefault(), choose(n))}
              >
                <rect width={w} height={h} rx={small ? 10 : 4} />
                {small ? (
                  <text x={w / 2} y={h / 2 + 4} textAnchor="middle">
                    +
                  </text>
                ) : (
                  <text>
                    <tspan x={6} y={11} className="node-label">
                      {n.label}
                    </tspan>{' '}
                    <tspan x={6} y={22} className="node-sub">
                      {n.sub}
                    </tspan>
                  </text>
                )}
              </g>
            );
          })}
        </svg>
        {tip && (
          <div className="graph-tip" style={{ left: tip.x, top: tip.y }} data-testid="graph.tooltip" role="tooltip">
            <strong>{tip.node.label}</strong>
            {tip.node.detail.map((d, i) => (
              <div key={i}>{d}</div>
            ))}
          </div>
        )}
      </div>
    </div>
  );
}
