/** Backbone, input resolution, classes, board and budget, preset and compile options: one click each. */
import { BOARDS } from '../../compiler/boards';
import { resolutionRange } from '../../compiler/models/model';
import { BACKBONES } from '../../state/experiment';
import type { Backbone } from '../../state/experiment';
import { reopenImported } from '../../state/import-page';
import { usePlayground, useModelInfo } from '../../state/playground';
import { NumberField } from '../NumberField';
import { Term } from '../Term';
import { ModelFileControls } from './ModelFileControls';

/** The resolutions offered for a backbone: multiples of 16 it accepts, plus the current one if it is not. */
export function resolutionChoices(model: Backbone, current: number): { value: number; valid: boolean }[] {
  const { min, max } = resolutionRange(model);
  const out = [];
  for (let r = 16; r <= max; r += 16) if (r >= min) out.push({ value: r, valid: true });
  if (!out.some((o) => o.value === current)) out.push({ value: current, valid: false });
  return out.sort((a, b) => a.value - b.value);
}

function Toggles() {
  const e = usePlayground((s) => s.experiment);
  const update = usePlayground((s) => s.update);
  const box = (key: 'reorder' | 'fusion' | 'split', term: 'reorder ops' | 'fuse frozen' | 'split weights') => (
    <label>
      <input
        type="checkbox"
        data-testid={`editor.${key === 'fusion' ? 'fusion' : key}`}
        checked={e[key]}
        aria-describedby={`term-${key}`}
        onChange={(ev) => update({ [key]: ev.target.checked })}
      />
      <Term term={term} inLabel id={`term-${key}`} />
    </label>
  );
  return (
    <div className="checks">
      {box('reorder', 'reorder ops')}
      {box('fusion', 'fuse frozen')}
      {box('split', 'split weights')}
    </div>
  );
}

/** The picker's 'imported' button after a built-in was picked: that model again, or why not (the page keeps its model). */
function backToImported(): void {
  try {
    reopenImported();
  } catch (err) {
    const text = `The imported model cannot open again: ${err instanceof Error ? err.message : String(err)}`;
    usePlayground.setState({ editNotices: [{ level: 'error', text }] });
  }
}

/** An imported model's input is its file's (h x w x c); the resolution is not a choice. */
function ImportedInput() {
  const shape = usePlayground((s) => s.compiled.model?.inputShape);
  return (
    <span data-testid="editor.input-shape">
      {shape ? `${shape[0]}×${shape[1]}×${shape[2]} (the file's input)` : '…'}
    </span>
  );
}

export function ModelEditor() {
  const e = usePlayground((s) => s.experiment);
  const update = usePlayground((s) => s.update);
  const applyPreset = usePlayground((s) => s.applyPreset);
  const importedName = usePlayground((s) => s.importedName);
  const info = useModelInfo();
  const board = BOARDS.find((b) => b.id === e.board)!;
  const flash = board.flashKb >= 1024 ? `${board.flashKb / 1024} MB` : `${board.flashKb} KB`;

  return (
    <section className="panel editor" aria-label="Model and scheme" id="panel-editor" tabIndex={-1}>
      <div className="seg" role="radiogroup" aria-label="Backbone" data-testid="editor.backbone">
        {BACKBONES.map((m) => (
          <button
            key={m}
            role="radio"
            aria-checked={e.model === m}
            className={e.model === m ? 'on' : ''}
            data-testid={`editor.backbone.${m}`}
            onClick={() => update({ model: m as Backbone })}
          >
            {m}
          </button>
        ))}
        {(e.model === 'imported' || importedName) && (
          <button
            role="radio"
            aria-checked={e.model === 'imported'}
            className={e.model === 'imported' ? 'on' : ''}
            data-testid="editor.backbone.imported"
            title={importedName ? `the model opened from ${importedName}` : undefined}
            onClick={() => e.model !== 'imported' && backToImported()}
          >
            imported
          </button>
        )}
      </div>
      <p className="hint">{info.description}</p>
      <ModelFileControls />
      <div className="grid2">
        <label>
          Resolution
          {e.model === 'imported' && <ImportedInput />}
          <select
            hidden={e.model === 'imported'}
            data-testid="editor.resolution"
            value={e.resolution}
            onChange={(ev) => update({ resolution: Number(ev.target.value) })}
          >
            {(e.model === 'imported' ? [] : resolutionChoices(e.model, e.resolution)).map((r) => (
              <option key={r.value} value={r.value} disabled={!r.valid}>
                {r.value}×{r.value}
                {r.valid ? '' : ` (not valid for ${e.model})`}
              </option>
            ))}
          </select>
        </label>
        <NumberField
          label="Classes"
          value={e.classes}
          min={2}
          max={1000}
          testId="editor.classes"
          onCommit={(v) => update({ classes: v })}
        />
        <label>
          Board
          <select
            data-testid="editor.board"
            value={e.board}
            onChange={(ev) => update({ board: ev.target.value as typeof e.board })}
          >
            {BOARDS.map((b) => (
              <option key={b.id} value={b.id}>
                {b.name} · {b.sramKb} KB
              </option>
            ))}
          </select>
        </label>
        <NumberField
          label={
            <Term term="budget" inLabel>
              SRAM budget (KB)
            </Term>
          }
          value={e.budgetKb}
          min={16}
          max={board.sramKb}
          unit=" KB"
          clampWhy={`the ${board.name} has ${board.sramKb} KB SRAM`}
          testId="editor.budget"
          onCommit={(v) => update({ budgetKb: v })}
        />
      </div>
      <p className="hint" data-testid="editor.board.note">
        {board.name}: {board.core}, {board.sramKb} KB SRAM, {flash} flash · {board.note}
      </p>
      <label className="wide">
        <span>
          <Term term="scheme" inLabel>
            Scheme preset
          </Term>{' '}
          (<Term term="sparse update" inLabel />)
        </span>
        <select
          id="scheme-preset"
          data-testid="editor.preset"
          value={e.preset}
          onChange={(ev) => applyPreset(ev.target.value)}
        >
          {e.preset === 'custom' && <option value="custom">custom (edited)</option>}
          {info.presets.map((p) => (
            <option key={p.id} value={p.id} title={p.description}>
              {p.label}
            </option>
          ))}
        </select>
      </label>
      <Toggles />
    </section>
  );
}
