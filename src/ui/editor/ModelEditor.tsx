/** Backbone, input resolution, classes, board and budget, preset and compile options: one click each. */
import { BOARDS } from '../../compiler/boards';
import { BACKBONES } from '../../state/experiment';
import type { Backbone } from '../../state/experiment';
import { usePlayground, useModelInfo } from '../../state/playground';
import { ModelFileControls } from './ModelFileControls';

const RESOLUTIONS = Array.from({ length: 14 }, (_, i) => 16 * (i + 1));

export function ModelEditor() {
  const e = usePlayground((s) => s.experiment);
  const update = usePlayground((s) => s.update);
  const applyPreset = usePlayground((s) => s.applyPreset);
  const info = useModelInfo();
  const board = BOARDS.find((b) => b.id === e.board)!;

  return (
    <section className="panel editor" aria-label="Model and scheme">
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
      </div>
      <p className="hint">{info.description}</p>
      <ModelFileControls />
      <div className="grid2">
        <label>
          Resolution
          <select
            data-testid="editor.resolution"
            value={e.resolution}
            onChange={(ev) => update({ resolution: Number(ev.target.value) })}
          >
            {RESOLUTIONS.map((r) => (
              <option key={r} value={r}>
                {r}×{r}
              </option>
            ))}
          </select>
        </label>
        <label>
          Classes
          <input
            type="number"
            min={2}
            max={1000}
            data-testid="editor.classes"
            value={e.classes}
            onChange={(ev) => {
              const v = Math.round(Number(ev.target.value));
              if (v >= 2 && v <= 1000) update({ classes: v });
            }}
          />
        </label>
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
        <label title={`${board.core}, ${board.sramKb} KB SRAM, ${board.flashKb / 1024} MB flash`}>
          SRAM budget (KB)
          <input
            type="number"
            min={16}
            max={board.sramKb}
            data-testid="editor.budget"
            value={e.budgetKb}
            onChange={(ev) => {
              const v = Math.round(Number(ev.target.value));
              if (v >= 16 && v <= 8192) update({ budgetKb: v });
            }}
          />
        </label>
      </div>
      <p className="hint" data-testid="editor.board.note">
        {board.name}: {board.core}, {board.sramKb} KB SRAM,{' '}
        {board.flashKb >= 1024 ? `${board.flashKb / 1024} MB` : `${board.flashKb} KB`} flash · {board.note}
      </p>
      <label className="wide">
        Scheme preset
        <select data-testid="editor.preset" value={e.preset} onChange={(ev) => applyPreset(ev.target.value)}>
          {e.preset === 'custom' && <option value="custom">custom (edited)</option>}
          {info.presets.map((p) => (
            <option key={p.id} value={p.id} title={p.description}>
              {p.label}
            </option>
          ))}
        </select>
      </label>
      <div className="checks">
        <label title="Apply each weight/bias gradient right after it is computed, so no gradient buffer stays alive">
          <input
            type="checkbox"
            data-testid="editor.reorder"
            checked={e.reorder}
            onChange={(ev) => update({ reorder: ev.target.checked })}
          />
          reorder ops
        </label>
        <label title="Run frozen blocks band by band so their expanded tensors never exist whole">
          <input
            type="checkbox"
            data-testid="editor.fusion"
            checked={e.fusion}
            onChange={(ev) => update({ fusion: ev.target.checked })}
          />
          fuse frozen
        </label>
        <label title="Keep only the updated part of a partially trained weight in SRAM; the frozen rest stays in flash">
          <input
            type="checkbox"
            data-testid="editor.split"
            checked={e.split}
            onChange={(ev) => update({ split: ev.target.checked })}
          />
          split weights
        </label>
      </div>
    </section>
  );
}
