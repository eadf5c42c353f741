/**
 * A whole-number field that explains itself: a value out of range is not applied and the field says why;
 * a value above `max` is clamped to it and the field says so (with `clampWhy`, e.g. the board's SRAM).
 */
import { useEffect, useId, useState } from 'react';

export interface NumberFieldProps {
  label: React.ReactNode;
  value: number;
  min: number;
  max: number;
  /** why values above max are clamped to it; without it they are refused */
  clampWhy?: string;
  unit?: string;
  testId: string;
  onCommit(v: number): void;
}

/** What typing `text` into a field of this range does: the value to apply (if any) and the message. */
export function judgeNumber(
  text: string,
  min: number,
  max: number,
  clampWhy?: string,
  unit = '',
): { value: number | null; message: string } {
  const v = Number(text);
  const range = `${min} to ${max}${unit}`;
  if (text.trim() === '' || !Number.isFinite(v)) return { value: null, message: `Enter a number, ${range}.` };
  if (!Number.isInteger(v)) return { value: null, message: `A whole number, ${range}.` };
  if (v < min) return { value: null, message: `At least ${min}${unit}; not applied.` };
  if (v > max && clampWhy) return { value: max, message: `Used ${max}${unit}: ${clampWhy}.` };
  if (v > max) return { value: null, message: `At most ${max}${unit}; not applied.` };
  return { value: v, message: '' };
}

export function NumberField({ label, value, min, max, clampWhy, unit, testId, onCommit }: NumberFieldProps) {
  const [text, setText] = useState(String(value));
  const [message, setMessage] = useState('');
  const msgId = useId();
  useEffect(() => setText((t) => (Number(t) === value ? t : String(value))), [value]);
  return (
    <label>
      {label}
      <input
        type="number"
        min={min}
        max={max}
        data-testid={testId}
        value={text}
        aria-invalid={message !== '' && Number(text) !== value}
        aria-describedby={msgId}
        onChange={(ev) => {
          const judged = judgeNumber(ev.target.value, min, max, clampWhy, unit);
          setMessage(judged.message);
          setText(
            judged.value !== null && judged.value !== Number(ev.target.value) ? String(judged.value) : ev.target.value,
          );
          if (judged.value !== null) onCommit(judged.value);
        }}
        onBlur={() => {
          if (Number(text) !== value) setText(String(value));
        }}
      />
      <span className="field-msg" id={msgId} aria-live="polite" data-testid={`${testId}.why`}>
        {message}
      </span>
    </label>
  );
}
