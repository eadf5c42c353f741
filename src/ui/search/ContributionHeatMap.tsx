/**
 * The contribution heat map: one row per searched conv, columns bias, 1, 1/2, 1/4, 1/8. A weight cell is the
 * validation gain of updating that conv's weight at that ratio on top of all the space's biases; the bias cell
 * is the marginal gain of also updating that conv's bias (bias gain of the last k minus the last k-1). A table
 * (readable by a screen reader), coloured with a d3 diverging scale: green helps, red hurts.
 */
import * as d3 from 'd3';
import type { GainsTable } from '../../compiler/search/gains';
import { ratioLabel } from '../format';

const RATIO_COLUMNS = [1, 0.5, 0.25, 0.125] as const;

export interface HeatRow {
  conv: number;
  name: string;
  /** Marginal bias gain; then the weight gain per RATIO_COLUMNS entry (null: ratio not allowed). */
  cells: (number | null)[];
}

/** The rows of the heat map, from the last searched conv up (the way the bias gains accumulate). */
export function heatRows(space: { conv: number; name: string }[], gains: GainsTable): HeatRow[] {
  const n = space.length;
  return space.map((l, j) => {
    const k = n - j; // updating this conv's bias means updating the last k biases
    const bias = gains.bias[k] - gains.bias[k - 1];
    const w = RATIO_COLUMNS.map((r) => gains.weight.find((x) => x.conv === l.conv && x.ratio === r)?.gain ?? null);
    return { conv: l.conv, name: l.name, cells: [bias, ...w] };
  });
}

const pct = (v: number) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}`;

export function ContributionHeatMap({ space, gains }: { space: { conv: number; name: string }[]; gains: GainsTable }) {
  const rows = heatRows(space, gains);
  const all = rows.flatMap((r) => r.cells.filter((c): c is number => c !== null));
  const m = Math.max(1e-3, d3.max(all, (v) => Math.abs(v)) ?? 1e-3);
  // light ends, so the dark cell text keeps its contrast (axe) whatever the value
  const color = d3.scaleLinear<string>().domain([-m, 0, m]).range(['#f3a9a0', '#ffffff', '#93d3a2']);
  return (
    <div className="heat-wrap">
      <table className="heat" data-testid="search.heatmap">
        <caption>Validation accuracy gain (points) per layer and update</caption>
        <thead>
          <tr>
            <th scope="col">layer</th>
            <th scope="col">bias</th>
            {RATIO_COLUMNS.map((r) => (
              <th scope="col" key={r}>
                w {ratioLabel(r)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.conv}>
              <th scope="row" title={r.name}>
                {r.conv}: {r.name}
              </th>
              {r.cells.map((c, i) =>
                c === null ? (
                  <td key={i} className="na" aria-label="not a whole number of channels">
                    –
                  </td>
                ) : (
                  <td key={i} style={{ background: color(c) }} data-gain={c}>
                    {pct(c)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
