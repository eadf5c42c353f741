/**
 * The per-layer table: every conv in forward order plus the classifier, with its bias toggle and weight ratio,
 * what that costs (trainable bytes, saved activations) and whether a gradient reaches it. Linked to the hover.
 */
import { memo, useEffect, useRef } from 'react';
import type { PlanLayer } from '../../compiler/plan';
import { ratioProblem } from '../../state/compile';
import { RATIOS } from '../../state/experiment';
import type { LayerUpdate, Ratio } from '../../state/experiment';
import { usePlayground } from '../../state/playground';
import { bytesShort, ratioLabel } from '../format';
import { Term } from '../Term';

function trainableBytes(l: PlanLayer): number {
  return l.sramWeightBytes + (l.updateBias ? l.biasBytes : 0);
}

interface RowProps {
  layer: PlanLayer;
  update: LayerUpdate | null;
  hovered: boolean;
  onChange(index: number, u: LayerUpdate): void;
  onHover(name: string | null): void;
}

const Row = memo(function Row({ layer: l, update, hovered, onChange, onHover }: RowProps) {
  const ref = useRef<HTMLTableRowElement>(null);
  const source = usePlayground((s) => s.hoverSource);
  const model = usePlayground((s) => s.experiment.model);
  useEffect(() => {
    if (hovered && source !== 'table') ref.current?.scrollIntoView({ block: 'nearest' });
  }, [hovered, source]);
  const state = l.weightRatio > 0 || l.updateBias ? 'updated' : l.gradient ? 'backprop' : 'frozen';
  const fixed = l.index < 0;
  return (
    <tr
      ref={ref}
      className={`layer-row ${state}${hovered ? ' hovered' : ''}`}
      data-testid={`table.row.${l.name}`}
      data-state={state}
      onMouseEnter={() => onHover(l.name)}
      onMouseLeave={() => onHover(null)}
    >
      <td className="num">{fixed ? 'cls' : l.index}</td>
      <td
        className="name"
        title={`${l.name}: ${l.kind} ${l.kernel}×${l.kernel} s${l.stride}${l.fused ? ' (fused)' : ''}`}
      >
        {/* the plan's name in full, exactly as the graph, the code and the memory panel show it */}
        {l.name}
      </td>
      <td className="shape" title={`${l.inH}×${l.inH}×${l.inC} → ${l.outH}×${l.outH}×${l.outC}`}>
        {l.inC}→{l.outC}
      </td>
      <td>
        <input
          type="checkbox"
          aria-label={`update bias of ${l.name}`}
          data-testid={`table.bias.${l.name}`}
          checked={l.updateBias}
          disabled={fixed || !update}
          title={fixed ? 'the classifier is always updated' : undefined}
          onChange={(e) => update && onChange(l.index, { ...update, bias: e.target.checked })}
        />
      </td>
      <td>
        <select
          aria-label={`weight update ratio of ${l.name}`}
          data-testid={`table.ratio.${l.name}`}
          value={fixed ? 1 : (update?.ratio ?? 0)}
          disabled={fixed || !update}
          title={
            fixed
              ? 'the classifier is always updated'
              : l.kind === 'depthwise'
                ? 'fraction of channels'
                : 'fraction of input channels'
          }
          onChange={(e) => update && onChange(l.index, { ...update, ratio: Number(e.target.value) as Ratio })}
        >
          {RATIOS.map((r) => {
            const why = fixed ? null : ratioProblem(model, l.index, r);
            return (
              <option key={r} value={r} disabled={why !== null} title={why ?? undefined}>
                {ratioLabel(r)}
                {why ? ' ✕' : ''}
              </option>
            );
          })}
        </select>
      </td>
      <td className="num">{trainableBytes(l) ? bytesShort(trainableBytes(l)) : ''}</td>
      <td className="num">{l.savedBytes ? bytesShort(l.savedBytes) : ''}</td>
    </tr>
  );
});

export function LayerTable({ layers }: { layers: PlanLayer[] }) {
  const scheme = usePlayground((s) => s.experiment.scheme);
  const hoverLayer = usePlayground((s) => s.hoverLayer);
  const setLayer = usePlayground((s) => s.setLayer);
  const setHover = usePlayground((s) => s.setHover);
  const onHover = (name: string | null) => setHover(name, 'table');
  return (
    <div className="layer-table-wrap">
      <table className="layer-table" data-testid="table">
        <colgroup>
          <col className="c-num" />
          <col />
          <col className="c-ch" />
          <col className="c-bias" />
          <col className="c-w" />
          <col className="c-bytes" />
          <col className="c-bytes" />
        </colgroup>
        <thead>
          <tr>
            <th title="conv index in forward order">#</th>
            <th>layer</th>
            <th title="input → output channels">ch</th>
            <th>bias</th>
            <th title="fraction of the weight updated">
              <Term term="dW">weight</Term>
            </th>
            <th title="trainable weights and biases kept in SRAM">train</th>
            <th>
              <Term term="saved" />
            </th>
          </tr>
        </thead>
        <tbody>
          {layers.map((l) => (
            <Row
              key={l.name}
              layer={l}
              update={l.index >= 0 ? (scheme[l.index] ?? null) : null}
              hovered={hoverLayer === l.name}
              onChange={setLayer}
              onHover={onHover}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}
