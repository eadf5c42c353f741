/** Edits the update of the layer clicked in the graph: bias on/off and the weight ratio. */
import { ratioProblem } from '../../state/compile';
import { RATIOS } from '../../state/experiment';
import type { Ratio } from '../../state/experiment';
import { usePlayground } from '../../state/playground';
import { ratioLabel } from '../format';

export function LayerEditor({ layer, onClose }: { layer: string; onClose(): void }) {
  const e = usePlayground((s) => s.experiment);
  const plan = usePlayground((s) => s.compiled.plan);
  const setLayer = usePlayground((s) => s.setLayer);
  const l = plan?.layers.find((x) => x.name === layer);
  if (!l) return null;
  const u = l.index >= 0 ? e.scheme[l.index] : null;
  return (
    <div className="layer-editor" data-testid="graph.editor" role="group" aria-label={`update of ${layer}`}>
      <strong>{layer}</strong>
      {u ? (
        <>
          <label>
            <input
              type="checkbox"
              data-testid="graph.editor.bias"
              checked={u.bias}
              onChange={(ev) => setLayer(l.index, { ...u, bias: ev.target.checked })}
            />
            bias
          </label>
          <label>
            weight
            <select
              data-testid="graph.editor.ratio"
              value={u.ratio}
              onChange={(ev) => setLayer(l.index, { ...u, ratio: Number(ev.target.value) as Ratio })}
            >
              {RATIOS.map((r) => {
                const why = ratioProblem(e.model, l.index, r);
                return (
                  <option key={r} value={r} disabled={why !== null} title={why ?? undefined}>
                    {ratioLabel(r)}
                    {why ? ' (impossible)' : ''}
                  </option>
                );
              })}
            </select>
          </label>
        </>
      ) : (
        <span className="hint">the classifier is always updated</span>
      )}
      <button onClick={onClose} aria-label="close">
        ×
      </button>
    </div>
  );
}
