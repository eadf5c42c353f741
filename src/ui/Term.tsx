/**
 * A glossary term: the visible text with a dotted underline and its explanation (glossary.ts) as a tooltip on
 * hover and on keyboard focus. Inside a form label it is not focusable itself: the control it labels is
 * described by the same text (pass `describes` the control's description id via `id`).
 */
import { useId } from 'react';
import { GLOSSARY } from './glossary';
import type { GlossaryTerm } from './glossary';

export function Term({
  term,
  children,
  inLabel = false,
  id,
}: {
  term: GlossaryTerm;
  children?: React.ReactNode;
  /** inside a <label>: not a tab stop of its own */
  inLabel?: boolean;
  /** the tooltip's id, for a control's aria-describedby */
  id?: string;
}) {
  const auto = useId();
  const tipId = id ?? `term${auto}`;
  return (
    <span
      className="term"
      tabIndex={inLabel ? undefined : 0}
      aria-describedby={inLabel ? undefined : tipId}
      data-term={term}
    >
      {children ?? term}
      <span className="term-tip" role="tooltip" id={tipId}>
        {GLOSSARY[term]}
      </span>
    </span>
  );
}
