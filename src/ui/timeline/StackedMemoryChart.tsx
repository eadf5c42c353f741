/**
 * One memory timeline: live bytes per plan step stacked by category (d3 stack + area), the budget line, the
 * peak marked, an optional dashed total of a second plan for comparison, and the hovered layer's steps shaded.
 */
import * as d3 from 'd3';
import { useEffect, useMemo, useRef } from 'react';
import type { TimelinePoint } from '../../compiler/plan';
import { CATEGORY_ORDER, CATEGORY_STYLE, kb } from '../format';

export interface StackedMemoryChartProps {
  width: number;
  height: number;
  title: string;
  points: TimelinePoint[];
  /** the same y scale for charts shown side by side */
  yMax: number;
  budgetBytes: number;
  peakStep: number;
  compare?: { label: string; points: TimelinePoint[] };
  highlight: [number, number][];
  hoverStep: number | null;
  /** null: a chart for looking only (the second of two side by side); otherwise pointer and arrow keys step */
  onHoverStep: ((step: number | null) => void) | null;
  testId: string;
}

const M = { top: 20, right: 12, bottom: 22, left: 52 };

export function StackedMemoryChart(p: StackedMemoryChartProps) {
  const xAxisRef = useRef<SVGGElement>(null);
  const yAxisRef = useRef<SVGGElement>(null);
  const w = Math.max(50, p.width - M.left - M.right);
  const h = Math.max(40, p.height - M.top - M.bottom);
  const n = p.points.length;
  const x = useMemo(
    () =>
      d3
        .scaleLinear()
        .domain([0, Math.max(1, n - 1)])
        .range([0, w]),
    [n, w],
  );
  const y = useMemo(() => d3.scaleLinear().domain([0, p.yMax]).range([h, 0]).nice(), [p.yMax, h]);

  const layers = useMemo(() => {
    const stack = d3
      .stack<TimelinePoint, (typeof CATEGORY_ORDER)[number]>()
      .keys(CATEGORY_ORDER)
      .value((d, key) => d.bytes[key] ?? 0);
    return stack(p.points);
  }, [p.points]);
  const area = d3
    .area<d3.SeriesPoint<TimelinePoint>>()
    .x((_, i) => x(i))
    .y0((d) => y(d[0]))
    .y1((d) => y(d[1]))
    .curve(d3.curveStepAfter);
  const compareLine = p.compare
    ? d3
        .line<TimelinePoint>()
        .x((_, i) => x(0) + (i * w) / Math.max(1, p.compare!.points.length - 1))
        .y((d) => y(d.total))
        .curve(d3.curveStepAfter)(p.compare.points)
    : null;

  useEffect(() => {
    if (xAxisRef.current)
      d3.select(xAxisRef.current).call(
        d3
          .axisBottom(x)
          .ticks(Math.max(2, Math.min(8, n, Math.floor(w / 70))))
          .tickSizeOuter(0),
      );
    if (yAxisRef.current)
      d3.select(yAxisRef.current).call(
        d3
          .axisLeft(y)
          .ticks(4)
          .tickFormat((v) => kb(Number(v), 0)),
      );
  }, [x, y, n, w]);

  const peakPoint = p.points[p.peakStep];
  const clamp = (step: number) => Math.max(0, Math.min(n - 1, step));
  const onMove = (e: React.MouseEvent<SVGRectElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    p.onHoverStep?.(clamp(Math.round(x.invert(e.clientX - rect.left))));
  };
  const hover = p.hoverStep !== null && p.hoverStep < n ? p.points[p.hoverStep] : null;
  // The arrow keys step through the plan one kernel call at a time (Page keys by 10, Home/End to the ends).
  const onKey = (e: React.KeyboardEvent) => {
    const at = p.hoverStep ?? p.peakStep;
    const to: Record<string, number> = {
      ArrowRight: at + 1,
      ArrowUp: at + 1,
      ArrowLeft: at - 1,
      ArrowDown: at - 1,
      PageUp: at + 10,
      PageDown: at - 10,
      Home: 0,
      End: n - 1,
    };
    if (!(e.key in to) || !p.onHoverStep) return;
    e.preventDefault();
    p.onHoverStep(clamp(to[e.key]));
  };
  const at = p.hoverStep ?? p.peakStep;
  const slider = p.onHoverStep
    ? {
        role: 'slider',
        tabIndex: 0,
        id: 'memory-timeline',
        'aria-valuemin': 0,
        'aria-valuemax': Math.max(0, n - 1),
        'aria-valuenow': at,
        'aria-valuetext': `step ${at}: ${kb(p.points[at]?.total ?? 0)} live`,
        onKeyDown: onKey,
        onBlur: () => p.onHoverStep?.(null),
      }
    : { role: 'img' };

  return (
    <svg
      width={p.width}
      height={p.height}
      data-testid={p.testId}
      aria-label={`${p.title} memory timeline`}
      className="timeline-svg"
      {...slider}
    >
      <text x={p.width > 400 ? M.left : 4} y={12} className="chart-title">
        {p.title}:{' '}
        {peakPoint && (
          <tspan className="timeline-peak-label">
            peak {kb(peakPoint.total)}
            {p.width > 400 ? ` @ step ${p.peakStep}` : ''}
          </tspan>
        )}
      </text>
      <g transform={`translate(${M.left},${M.top})`}>
        {p.highlight.map(([a, b]) => (
          <rect
            key={`${a}-${b}`}
            className="timeline-highlight"
            data-testid="timeline.highlight"
            x={x(a)}
            width={Math.max(2, x(b + 1) - x(a))}
            y={0}
            height={h}
          />
        ))}
        {layers.map((layer) => (
          <path
            key={layer.key}
            d={area(layer) ?? ''}
            fill={CATEGORY_STYLE[layer.key].color}
            data-category={layer.key}
          />
        ))}
        {compareLine && <path d={compareLine} className="timeline-compare" />}
        {p.budgetBytes > y.domain()[1] && (
          <text x={w - 4} y={10} textAnchor="end" className="timeline-budget-label">
            budget {kb(p.budgetBytes, 0)} ↑{p.width > 400 ? ' (far above)' : ''}
          </text>
        )}
        {p.budgetBytes <= y.domain()[1] && (
          <g transform={`translate(0,${y(p.budgetBytes)})`}>
            <line x2={w} className="timeline-budget" />
            <text x={4} y={-4} className="timeline-budget-label">
              budget {kb(p.budgetBytes, 0)}
            </text>
          </g>
        )}
        {peakPoint && (
          <circle
            r={4}
            cx={x(p.peakStep)}
            cy={y(peakPoint.total)}
            className="timeline-peak"
            data-testid={`${p.testId}.peak`}
          />
        )}
        {hover && <line x1={x(p.hoverStep!)} x2={x(p.hoverStep!)} y2={h} className="timeline-cursor" />}
        <g ref={xAxisRef} transform={`translate(0,${h})`} className="axis" />
        <g ref={yAxisRef} className="axis" />
        <rect width={w} height={h} fill="transparent" onMouseMove={onMove} onMouseLeave={() => p.onHoverStep?.(null)} />
      </g>
    </svg>
  );
}
