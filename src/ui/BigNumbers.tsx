/** Peak SRAM and flash as big numbers, each with fits / does not fit against the board and the budget. */
import { boardById } from '../compiler/boards';
import { usePlayground } from '../state/playground';
import { deviceFit } from '../compiler/codegen/device-fit';
import { kb } from './format';
import { Term } from './Term';

export function BigNumbers() {
  const compiled = usePlayground((s) => s.compiled);
  const e = usePlayground((s) => s.experiment);
  const board = boardById(e.board);
  const m = compiled.plan?.metrics;
  if (!m) {
    return (
      <div className="big-numbers" data-testid="summary">
        <div className={compiled.pending ? 'big' : 'big bad'} data-testid="summary.none">
          <span className="value">{compiled.pending ? '…' : '—'}</span>
          <span className="label">{compiled.pending ? 'compiling' : 'no plan'}</span>
        </div>
      </div>
    );
  }
  // one verdict for the page (state/fit.ts): the timeline and the Code panel show the same
  const f = deviceFit(compiled.plan!, e);
  const sramFits = m.peakSramBytes <= f.budgetBytes && f.firmware.sram.fits;
  const flashFits = f.firmware.flash.fits;
  const other = compiled.other?.metrics;
  return (
    <div className="big-numbers" data-testid="summary">
      <div
        className={`big ${sramFits ? 'good' : 'bad'}`}
        title={`arena ${kb(m.arenaBytes)} + trainable weights ${kb(m.trainableSramBytes)}; on the device + stack, heap and runtime ${kb(f.firmwareExtraBytes)} = ${kb(f.deviceSramBytes)} of ${kb(f.sramLimitBytes, 0)}`}
      >
        <span className="value" data-testid="summary.peak" data-bytes={m.peakSramBytes}>
          {kb(m.peakSramBytes)}
        </span>
        <span className="label" data-testid="summary.peak.verdict">
          <Term term="peak SRAM" /> · {f.fits ? `fits ${e.budgetKb} KB and the ${board.name}` : f.verdict}
        </span>
      </div>
      <div className={`big ${flashFits ? 'good' : 'bad'}`}>
        <span className="value" data-testid="summary.flash" data-bytes={f.flashBytes}>
          {kb(f.flashBytes, 0)}
        </span>
        <span className="label">
          <Term term="flash" /> · {flashFits ? 'fits' : 'does not fit'}{' '}
          {board.flashKb >= 1024 ? `${board.flashKb / 1024} MB` : `${board.flashKb} KB`}
        </span>
      </div>
      {other && (
        <div className="big minor" title="the same scheme with operator reordering switched the other way">
          <span className="value" data-testid="summary.other">
            {kb(other.peakSramBytes)}
          </span>
          <span className="label">
            {e.reorder ? 'without' : 'with'} <Term term="reorder ops">reordering</Term>
          </span>
        </div>
      )}
    </div>
  );
}
