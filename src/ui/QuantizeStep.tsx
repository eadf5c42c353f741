/**
 * The quantize step of a float32 ONNX model opened on the page: how many training images calibrate it, the
 * input range its pixels are given in, Quantize with progress, and Cancel (the page keeps its model until the
 * int8 model opens).
 */
import { useState } from 'react';
import {
  CALIBRATION_DATA,
  cancelQuantization,
  setQuantizeOptions,
  startQuantization,
  useQuantize,
} from '../state/quantize-page';
import { NumberField } from './NumberField';

const DECIMAL = /^-?(\d+\.?\d*|\.\d+)$/;

/** The input range as LO..HI text: applied when both are plain decimals with LO < HI. */
function RangeField({ range }: { range: [number, number] }) {
  const [text, setText] = useState<[string, string]>([String(range[0]), String(range[1])]);
  const [lo, hi] = text.map((t) => (DECIMAL.test(t.trim()) ? Number(t) : NaN));
  const ok = lo < hi && lo >= -1000 && hi <= 1000;
  const edit = (i: 0 | 1, v: string) => {
    const next: [string, string] = i === 0 ? [v, text[1]] : [text[0], v];
    setText(next);
    const [a, b] = next.map((t) => (DECIMAL.test(t.trim()) ? Number(t) : NaN));
    if (a < b && a >= -1000 && b <= 1000) setQuantizeOptions({ range: [a, b] });
  };
  const box = (i: 0 | 1, label: string) => (
    <input
      type="number"
      step="any"
      value={text[i]}
      aria-label={label}
      aria-invalid={!ok}
      data-testid={`quantize.range.${i === 0 ? 'lo' : 'hi'}`}
      onChange={(ev) => edit(i, ev.target.value)}
    />
  );
  return (
    <span className="quantize-range" role="group" aria-label="input range">
      Input range {box(0, 'input range low')} .. {box(1, 'input range high')}
      {!ok && <span className="hint"> needs LO &lt; HI, within ±1000; not applied.</span>}
    </span>
  );
}

export function QuantizeStep() {
  const step = useQuantize((s) => s.step);
  if (!step) return null;
  const running = step.done !== null;
  const [lo, hi] = step.range;
  return (
    <div
      className="notice info pending-edit quantize-step"
      role="dialog"
      aria-label="Quantize a float32 model"
      data-testid="quantize.step"
    >
      <strong>{step.fileName} is a float32 model</strong> (input {step.input}): quantize it to int8 on{' '}
      {step.count.toLocaleString('en-US')} training images of {CALIBRATION_DATA.name}, as{' '}
      <code>tinytrain quantize</code> does. The page keeps its model until then.
      <fieldset className="pending-actions quantize-options" disabled={running}>
        <NumberField
          label="Training images"
          value={step.count}
          min={1}
          max={step.trainCount}
          unit=""
          testId="quantize.count"
          onCommit={(count) => setQuantizeOptions({ count })}
        />
        {/* keyed by the opening: a file opened while the step shows starts from its own range, not the typed text */}
        <RangeField key={step.opened} range={step.range} />
      </fieldset>
      <p className="hint">
        The last {step.count.toLocaleString('en-US')} of the {step.trainCount.toLocaleString('en-US')} training images
        (never the test images), resized to the model's input as training does; pixel p is given as {lo} + ({hi} − {lo})
        × p / 255.
      </p>
      <div className="pending-actions">
        <button data-testid="quantize.start" disabled={running} onClick={() => void startQuantization()}>
          Quantize
        </button>
        <button data-testid="quantize.cancel" onClick={() => cancelQuantization()}>
          Cancel
        </button>
        {running && (
          <span data-testid="quantize.progress" data-done={step.done} aria-live="polite">
            <progress value={step.done ?? 0} max={step.count} /> calibrating {step.done}/{step.count}
          </span>
        )}
      </div>
    </div>
  );
}
