/**
 * The search's optional latency budget: estimated ms per training step (batch 1) on the board, as the CLI's
 * `search --latency-ms`. Only a board whose core the latency model is calibrated for (Cortex-M7) can be held to
 * it; for the others the control is disabled and says why. Turning it on starts from the editor plan's estimate.
 */
import { estimatedStepMs } from '../../compiler/search/latency';
import { usePlayground } from '../../state/playground';
import { latencyUnavailable, useSearch } from '../../state/search';
import { NumberField } from '../NumberField';

export const MAX_LATENCY_MS = 100_000;

export function LatencyBudget({ busy }: { busy: boolean }) {
  const s = useSearch((x) => x.settings);
  const set = useSearch((x) => x.setSettings);
  const plan = usePlayground((x) => x.compiled.plan);
  const why = latencyUnavailable(s.board, plan);
  const on = s.latencyMs !== null && why === null;
  const start = () => {
    const ms = plan ? estimatedStepMs(plan, s.board) : null;
    return Math.min(MAX_LATENCY_MS, Math.max(1, Math.ceil(ms ?? 100)));
  };
  return (
    <div className="search-latency">
      <label className="check">
        <input
          type="checkbox"
          checked={on}
          disabled={busy || why !== null}
          data-testid="search.latency-on"
          onChange={(ev) => set({ latencyMs: ev.target.checked ? start() : null })}
        />
        Latency budget (estimated training step on the board)
      </label>
      {on && (
        <NumberField
          label="Latency budget (ms per step, est.)"
          value={s.latencyMs!}
          min={1}
          max={MAX_LATENCY_MS}
          unit=" ms"
          testId="search.latency"
          onCommit={(v) => set({ latencyMs: v })}
        />
      )}
      {why !== null && (
        <p className="hint" data-testid="search.latency-note">
          {why}.
        </p>
      )}
    </div>
  );
}
