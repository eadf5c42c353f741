/**
 * The accuracy chart's legend: training accuracy (the last report window) and the evaluated accuracy, named for
 * what it is - the built-in data set's test split, or the held-out images of the user's classes - and, for the
 * latter, accuracy per class and the confusion matrix.
 */
import type { TrainingMetrics } from '../../runtime/training/training-api';
import { useUserData } from '../../state/user-data';

export const TRAIN_COLOR = '#2f6db5';
export const TEST_COLOR = '#3a9d5d';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The last evaluation in the history, and what it was evaluated on. */
export function lastEvaluation(history: readonly TrainingMetrics[]) {
  const m = history.findLast((h) => h.testAccuracy !== undefined);
  const heldOut = m?.confusion ? m.confusion.flat().reduce((a, b) => a + b, 0) : 0;
  const label = m?.confusion ? `held-out accuracy, ${heldOut} images` : 'test accuracy (built-in test split)';
  return { metrics: m, heldOut, label };
}

/** Rows: classes with held-out images; columns: those classes and any other class something was taken for. */
function PerClass({ confusion, names }: { confusion: number[][]; names: string[] }) {
  const rows = confusion.map((row, c) => ({ c, n: row.reduce((a, b) => a + b, 0), ok: row[c] })).filter((r) => r.n);
  const cols = confusion.map((_, p) => p).filter((p) => rows.some((r) => r.c === p) || confusion.some((row) => row[p]));
  return (
    <table className="confusion" data-testid="train.confusion">
      <caption className="hint">held-out images per class: rows are the true class, columns the prediction</caption>
      <thead>
        <tr>
          <th scope="col">class</th>
          <th scope="col">accuracy</th>
          {cols.map((p) => (
            <th scope="col" key={p} title={names[p]}>
              → {names[p]}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map(({ c, n, ok }) => (
          <tr key={c} data-testid={`train.confusion.${c}`} data-correct={ok} data-images={n}>
            <th scope="row">{names[c]}</th>
            <td>
              {pct(ok / n)} ({ok}/{n})
            </td>
            {cols.map((p) => (
              <td key={p} className={p === c ? 'diag' : confusion[c][p] ? 'off' : ''}>
                {confusion[c][p]}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AccuracyLegend({ history }: { history: readonly TrainingMetrics[] }) {
  const userNames = useUserData((s) => s.classes).map((c) => c.name);
  const last = history.at(-1);
  const ev = lastEvaluation(history);
  const confusion = ev.metrics?.confusion;
  const names = (confusion ?? []).map((_, i) => userNames[i] ?? `class ${i}`);
  return (
    <div className="accuracy-legend">
      <ul className="legend">
        <li data-testid="train.legend.train" data-accuracy={last?.accuracy}>
          <span className="swatch" style={{ background: TRAIN_COLOR }} /> training accuracy (last window){' '}
          {last ? pct(last.accuracy) : '—'}
        </li>
        <li
          data-testid="train.legend.test"
          data-accuracy={ev.metrics?.testAccuracy}
          data-held-out={ev.heldOut || undefined}
          data-step={ev.metrics?.step}
        >
          <span className="swatch" style={{ background: TEST_COLOR }} /> {ev.label}{' '}
          {ev.metrics ? pct(ev.metrics.testAccuracy!) : '—'}
          {/* evaluations come every few seconds: say when an older one is shown next to a newer training window */}
          {ev.metrics && last && ev.metrics.step !== last.step ? ` at step ${ev.metrics.step}` : ''}
        </li>
      </ul>
      {confusion && <PerClass confusion={confusion} names={names} />}
    </div>
  );
}
