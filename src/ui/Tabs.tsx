/**
 * A tab list with the ARIA tabs pattern: only the selected tab is a tab stop, the arrow keys (and Home/End)
 * move between tabs and select them, and the body is the tabpanel the selected tab controls.
 */
import { useId, useRef } from 'react';

export interface TabItem<K extends string> {
  key: K;
  label: string;
  testId: string;
}

export function Tabs<K extends string>({
  items,
  value,
  onChange,
  label,
  children,
}: {
  items: TabItem<NoInfer<K>>[];
  value: K;
  onChange(k: K): void;
  label: string;
  children: React.ReactNode;
}) {
  const base = useId();
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const move = (ev: React.KeyboardEvent, i: number) => {
    const n = items.length;
    const to =
      ev.key === 'ArrowRight'
        ? (i + 1) % n
        : ev.key === 'ArrowLeft'
          ? (i - 1 + n) % n
          : ev.key === 'Home'
            ? 0
            : ev.key === 'End'
              ? n - 1
              : -1;
    if (to < 0) return;
    ev.preventDefault();
    onChange(items[to].key);
    refs.current[to]?.focus();
  };
  return (
    <>
      <div className="tabs" role="tablist" aria-label={label}>
        {items.map((t, i) => (
          <button
            key={t.key}
            ref={(el) => {
              refs.current[i] = el;
            }}
            role="tab"
            id={`${base}tab-${t.key}`}
            aria-selected={value === t.key}
            aria-controls={`${base}panel`}
            tabIndex={value === t.key ? 0 : -1}
            className={value === t.key ? 'on' : ''}
            onClick={() => onChange(t.key)}
            onKeyDown={(ev) => move(ev, i)}
            data-testid={t.testId}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div className="tab-body" role="tabpanel" id={`${base}panel`} aria-labelledby={`${base}tab-${value}`}>
        {children}
      </div>
    </>
  );
}
