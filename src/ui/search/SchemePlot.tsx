/**
 * Accuracy gain against peak SRAM for every scheme the search priced (grey), its Pareto front (blue line),
 * the last-k schemes (orange squares), the published schemes (purple diamonds, measured gain) and the search's
 * answer (green ring), with the budget as a dashed line. Clicking a marked point selects its scheme; the list
 * beside the plot (SchemeList) offers the same choices to the keyboard and screen readers. `axis="latency"`
 * draws the same schemes against their estimated training-step time on the board instead (the latency budget,
 * if any, as the dashed line); schemes over the latency budget are drawn hollow on either plot.
 */
import * as d3 from 'd3';
import { useEffect, useMemo, useRef } from 'react';
import { withinLatency, type Candidate, type SolveResult } from '../../runtime/training/search-solve';

const KB = 1024;

const AXES = {
  sram: { of: (c: Candidate) => c.peakSramBytes / KB, title: 'peak SRAM (KB)', unit: 'KB' },
  latency: { of: (c: Candidate) => c.estStepMs ?? NaN, title: 'est. training step (ms)', unit: 'ms' },
};

export function SchemePlot(props: {
  solve: SolveResult;
  budgetBytes: number;
  width: number;
  selected: string | null;
  onSelect(scheme: string): void;
  axis?: keyof typeof AXES;
}) {
  const { solve, budgetBytes, width, selected, onSelect } = props;
  const axis = AXES[props.axis ?? 'sram'];
  const limitMs = solve.latency?.limitMs ?? null;
  const budgetX = props.axis === 'latency' ? limitMs : budgetBytes / KB;
  const shown = (c: Candidate) => Number.isFinite(axis.of(c));
  const cands = solve.candidates.filter(shown);
  const pareto = solve.pareto.filter(shown);
  const height = Math.round(Math.min(300, Math.max(180, width * 0.6)));
  const m = { top: 16, right: 12, bottom: 32, left: 44 };
  const w = Math.max(40, width - m.left - m.right);
  const h = height - m.top - m.bottom;
  const all: Candidate[] = [...cands, ...solve.published, ...solve.lastK].filter(shown);
  const xMax = Math.max(budgetX ?? 0, d3.max(all, axis.of) ?? 1);
  const xMin = d3.min(all, axis.of) ?? 0;
  const [yLo, yHi] = d3.extent(all, (c) => 100 * c.gain) as [number, number];
  const x = useMemo(() => d3.scaleLinear().domain([xMin, xMax]).range([0, w]).nice(), [xMin, xMax, w]);
  const y = useMemo(
    () =>
      d3
        .scaleLinear()
        .domain([Math.min(0, yLo), Math.max(0, yHi)])
        .range([h, 0])
        .nice(),
    [yLo, yHi, h],
  );
  const xAxis = useRef<SVGGElement>(null);
  const yAxis = useRef<SVGGElement>(null);
  useEffect(() => {
    if (xAxis.current) d3.select(xAxis.current).call(d3.axisBottom(x).ticks(5).tickSizeOuter(0));
    if (yAxis.current) d3.select(yAxis.current).call(d3.axisLeft(y).ticks(4));
  }, [x, y]);
  const px = (c: Candidate) => x(axis.of(c));
  const py = (c: Candidate) => y(100 * c.gain);
  const front = d3.line<Candidate>().x(px).y(py).curve(d3.curveStepAfter)(pareto);
  const best = solve.best && shown(solve.best) ? solve.best : null;
  return (
    <svg
      width={width}
      height={height}
      className="scheme-plot"
      data-testid={props.axis === 'latency' ? 'search.latency-plot' : 'search.plot'}
      data-candidates={cands.length}
      data-pareto={pareto.length}
      data-over-latency={cands.filter((c) => !withinLatency(c, limitMs)).length}
      role="img"
      aria-label={`Accuracy gain against ${axis.title} for ${cands.length} priced schemes; ${pareto.length} on the Pareto front`}
    >
      <g transform={`translate(${m.left},${m.top})`}>
        {budgetX !== null && <line x1={x(budgetX)} x2={x(budgetX)} y1={0} y2={h} className="plot-budget" />}
        {cands.map((c) => (
          <circle
            key={c.scheme}
            cx={px(c)}
            cy={py(c)}
            r={2}
            className={withinLatency(c, limitMs) ? 'plot-cand' : 'plot-cand plot-over'}
          />
        ))}
        <path d={front ?? ''} className="plot-front" />
        {pareto.map((c) => (
          <circle
            key={c.scheme}
            cx={px(c)}
            cy={py(c)}
            r={3.5}
            className="plot-front-pt"
            onClick={() => onSelect(c.scheme)}
          >
            <title>{`${c.scheme}: ${axis.of(c).toFixed(1)} ${axis.unit}, ${(100 * c.gain).toFixed(1)} pts`}</title>
          </circle>
        ))}
        {solve.lastK.filter(shown).map((c) => (
          <rect
            key={c.k}
            x={px(c) - 3.5}
            y={py(c) - 3.5}
            width={7}
            height={7}
            className="plot-lastk"
            onClick={() => onSelect(c.scheme)}
          >
            <title>{`last:${c.k} ${c.scheme}`}</title>
          </rect>
        ))}
        {solve.published.filter(shown).map((c) => (
          <g key={c.id} transform={`translate(${px(c)},${py(c)})`} onClick={() => onSelect(c.scheme)}>
            <path d="M0,-6L5,0L0,6L-5,0Z" className="plot-published" />
            <text x={6} y={-6} className="plot-label">
              {c.id}
            </text>
          </g>
        ))}
        {best && <circle cx={px(best)} cy={py(best)} r={7} className="plot-best" />}
        {selected &&
          all
            .filter((c) => c.scheme === selected)
            .slice(0, 1)
            .map((c) => <circle key="sel" cx={px(c)} cy={py(c)} r={10} className="plot-selected" />)}
        <g ref={xAxis} transform={`translate(0,${h})`} className="axis" />
        <g ref={yAxis} className="axis" />
        <text x={w} y={h + 28} textAnchor="end" className="chart-title">
          {axis.title}
        </text>
        <text x={-m.left + 2} y={-4} className="chart-title">
          gain (points)
        </text>
      </g>
    </svg>
  );
}
