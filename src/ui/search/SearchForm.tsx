/**
 * The search's settings: board and SRAM budget, an optional latency budget (LatencyBudget), the space and the
 * runs, the worker count and the frozen-prefix cache; Start / Cancel with progress and time left.
 */
import { BOARDS, boardById } from '../../compiler/boards';
import { boardCpi } from '../../compiler/codegen/latency';
import { MAX_SEARCH_WORKERS } from '../../runtime/training/search-pool';
import { searchBusy, useSearch } from '../../state/search';
import { NumberField } from '../NumberField';
import { LatencyBudget } from './LatencyBudget';

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

export function SearchForm({ convCount }: { convCount: number }) {
  const s = useSearch((x) => x.settings);
  const set = useSearch((x) => x.setSettings);
  const status = useSearch((x) => x.status);
  const outcome = useSearch((x) => x.outcome);
  const progress = useSearch((x) => x.progress);
  const message = useSearch((x) => x.message);
  const start = useSearch((x) => x.start);
  const cancel = useSearch((x) => x.cancel);
  const board = boardById(s.board);
  const busy = searchBusy(status);
  return (
    <form className="search-form" onSubmit={(ev) => (ev.preventDefault(), void start())} aria-label="Search settings">
      <div className="grid2">
        <label>
          Board
          <select
            data-testid="search.board"
            value={s.board}
            disabled={busy}
            onChange={(ev) => {
              const id = ev.target.value as typeof s.board;
              const b = boardById(id);
              // a board without a calibrated latency estimate cannot keep a latency budget
              set({ board: id, budgetKb: Math.min(s.budgetKb, b.sramKb), ...(boardCpi(b) ? {} : { latencyMs: null }) });
            }}
          >
            {BOARDS.map((b) => (
              <option key={b.id} value={b.id}>
                {b.name} · {b.sramKb} KB
              </option>
            ))}
          </select>
        </label>
        <NumberField
          label="SRAM budget (KB)"
          value={s.budgetKb}
          min={8}
          max={board.sramKb}
          unit=" KB"
          clampWhy={`the ${board.name} has ${board.sramKb} KB SRAM`}
          testId="search.budget"
          onCommit={(v) => set({ budgetKb: v })}
        />
        <NumberField
          label="Layers searched (last)"
          value={Math.min(s.layers, convCount)}
          min={1}
          max={convCount}
          clampWhy={`the model has ${convCount} convs`}
          testId="search.layers"
          onCommit={(v) => set({ layers: v })}
        />
        <NumberField
          label="Steps per run"
          value={s.steps}
          min={1}
          max={100000}
          testId="search.steps"
          onCommit={(v) => set({ steps: v })}
        />
        <NumberField
          label="Steps per finalist run"
          value={s.finalistSteps}
          min={1}
          max={100000}
          testId="search.finalist-steps"
          onCommit={(v) => set({ finalistSteps: v })}
        />
        <NumberField
          label="Validation images"
          value={s.validation}
          min={1}
          max={5000}
          testId="search.validation"
          onCommit={(v) => set({ validation: v })}
        />
        <NumberField
          label="Workers"
          value={s.workers}
          min={1}
          max={MAX_SEARCH_WORKERS}
          clampWhy={`at most ${MAX_SEARCH_WORKERS} workers`}
          testId="search.workers"
          onCommit={(v) => set({ workers: v })}
        />
      </div>
      <LatencyBudget busy={busy} />
      <label className="check">
        <input
          type="checkbox"
          checked={s.prefixCache}
          disabled={busy}
          data-testid="search.prefix"
          onChange={(ev) => set({ prefixCache: ev.target.checked })}
        />
        Cache frozen-prefix outputs per image (results bit-identical)
      </label>
      <div className="train-buttons">
        <button type="submit" disabled={busy} data-testid="search.start">
          Start search
        </button>
        <button type="button" disabled={!busy} onClick={cancel} data-testid="search.cancel">
          Cancel
        </button>
      </div>
      <div className="search-progress" aria-live="polite" data-testid="search.status" data-status={status}>
        {busy && progress && (
          <>
            <progress
              max={progress.total}
              value={progress.done}
              aria-label={status === 'finalists' ? 'finalist runs done' : 'contribution runs done'}
            />{' '}
            {progress.done} / {progress.total} {status === 'finalists' ? 'finalist runs' : 'runs'}
            {progress.cached > 0 && ` (${progress.cached} from the cache)`}
            {status === 'solving'
              ? ' · searching schemes…'
              : progress.etaMs !== null && ` · about ${duration(progress.etaMs)} left`}
          </>
        )}
        {busy && !progress && 'starting the workers…'}
        {status === 'done' &&
          outcome &&
          `done: ${outcome.runs.length} runs scored${outcome.finalistRuns ? `, then ${outcome.finalistRuns} finalist runs` : ''}`}
        {message && <span className={status === 'error' ? 'search-error' : ''}> {message}</span>}
      </div>
    </form>
  );
}
