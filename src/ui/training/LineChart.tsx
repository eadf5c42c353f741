/** A small d3 line chart of one or two series over training steps (loss, accuracy). */
import * as d3 from 'd3';
import { useEffect, useMemo, useRef } from 'react';

export interface Series {
  label: string;
  color: string;
  points: [number, number][];
}

export function LineChart(props: {
  width: number;
  height: number;
  series: Series[];
  yLabel: string;
  yMax?: number;
  testId: string;
}) {
  const { width, height, series, yLabel, testId } = props;
  const m = { top: 14, right: 18, bottom: 20, left: 38 };
  const w = Math.max(20, width - m.left - m.right);
  const h = Math.max(20, height - m.top - m.bottom);
  const xAxis = useRef<SVGGElement>(null);
  const yAxis = useRef<SVGGElement>(null);
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1, d3.max(all, (p) => p[0]) ?? 1);
  const yMax = props.yMax ?? Math.max(1e-3, d3.max(all, (p) => p[1]) ?? 1);
  const x = useMemo(() => d3.scaleLinear().domain([0, xMax]).range([0, w]), [xMax, w]);
  const y = useMemo(() => d3.scaleLinear().domain([0, yMax]).range([h, 0]).nice(), [yMax, h]);
  useEffect(() => {
    if (xAxis.current) d3.select(xAxis.current).call(d3.axisBottom(x).ticks(4).tickSizeOuter(0));
    if (yAxis.current) d3.select(yAxis.current).call(d3.axisLeft(y).ticks(3));
  }, [x, y]);
  const line = d3
    .line<[number, number]>()
    .x((p) => x(p[0]))
    .y((p) => y(p[1]));
  return (
    <svg
      width={width}
      height={height}
      data-testid={testId}
      data-points={series[0]?.points.length ?? 0}
      data-first={series[0]?.points[0]?.[1]}
      data-last={series[0]?.points.at(-1)?.[1]}
      role="img"
      aria-label={yLabel}
    >
      <text x={m.left} y={10} className="chart-title">
        {yLabel}
      </text>
      <g transform={`translate(${m.left},${m.top})`}>
        {series.map((s) => (
          <path key={s.label} d={line(s.points) ?? ''} fill="none" stroke={s.color} strokeWidth={1.5} />
        ))}
        <g ref={xAxis} transform={`translate(0,${h})`} className="axis" />
        <g ref={yAxis} className="axis" />
      </g>
    </svg>
  );
}
