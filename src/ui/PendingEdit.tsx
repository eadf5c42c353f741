/**
 * Asks before an edit discards a trained run: a change of backbone, resolution, classes, scheme, compile
 * options or seed needs a new plan, and the worker would start over from the compiled weights.
 */
import { useState } from 'react';
import { saveModelFile } from '../state/model-io';
import { usePlayground } from '../state/playground';
import { saveBytes } from './download';

export function PendingEdit() {
  const p = usePlayground((s) => s.pendingEdit);
  const confirm = usePlayground((s) => s.confirmPendingEdit);
  const cancel = usePlayground((s) => s.cancelPendingEdit);
  const [saved, setSaved] = useState<string | null>(null);
  if (!p) return null;
  return (
    <div
      className="notice warn pending-edit"
      role="alertdialog"
      aria-label="Discard the trained run?"
      data-testid="pending"
    >
      <strong>Changing {p.what} needs a new plan</strong> and discards the run trained for{' '}
      {p.steps.toLocaleString('en-US')} steps.
      <div className="pending-actions">
        <button
          data-testid="pending.save"
          onClick={() =>
            void saveModelFile().then(
              (r) => (saveBytes(r.fileName, r.bytes, 'application/zip'), setSaved(r.fileName)),
              (err: unknown) => setSaved(`not saved: ${err instanceof Error ? err.message : String(err)}`),
            )
          }
        >
          Save the trained model first
        </button>
        <button data-testid="pending.apply" onClick={confirm}>
          Discard the run and apply
        </button>
        <button data-testid="pending.cancel" onClick={cancel}>
          Keep training
        </button>
      </div>
      {saved && <p className="hint">{saved}</p>}
    </div>
  );
}
