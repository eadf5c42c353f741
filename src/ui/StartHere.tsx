/**
 * First steps for a newcomer: the three things to do (pick a scheme, watch the memory, train), each a link
 * that moves focus to the control it names. Dismissible; the dismissal is remembered in this browser.
 */
import { useState } from 'react';
import { PAPER_URL } from './glossary';
import { Term } from './Term';

const KEY = 'tinytrain.startHere';

export function startHereDismissed(): boolean {
  try {
    return localStorage.getItem(KEY) === 'dismissed';
  } catch {
    return false;
  }
}

export function rememberStartHere(shown: boolean): void {
  try {
    if (shown) localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, 'dismissed');
  } catch {
    // storage blocked (private mode): the choice lasts for this page only
  }
}

/** Focuses the element with this id and brings it into view (the link's target). */
function go(ev: React.MouseEvent, id: string) {
  const el = document.getElementById(id);
  if (!el) return;
  ev.preventDefault();
  el.scrollIntoView({ block: 'center' });
  el.focus();
}

export function StartHere({ onDismiss }: { onDismiss(): void }) {
  return (
    <section className="start-here" aria-label="Start here" data-testid="start">
      <strong>Start here:</strong>
      <ol>
        <li data-testid="start.step.scheme">
          <a href="#scheme-preset" onClick={(ev) => go(ev, 'scheme-preset')}>
            Pick a scheme
          </a>{' '}
          (which layers to train: a <Term term="sparse update" />)
        </li>
        <li data-testid="start.step.memory">
          <a href="#memory-timeline" onClick={(ev) => go(ev, 'memory-timeline')}>
            Watch the memory
          </a>{' '}
          (the <Term term="peak SRAM" /> must stay under the budget line)
        </li>
        <li data-testid="start.step.train">
          <a href="#train-start" onClick={(ev) => go(ev, 'train-start')}>
            Train
          </a>{' '}
          (press start and watch the loss fall)
        </li>
      </ol>
      <button className="close" onClick={onDismiss} aria-label="Dismiss start here" data-testid="start.dismiss">
        ×
      </button>
    </section>
  );
}

/** The "what is this" disclosure: one paragraph and the paper. */
export function About({ onShowStart }: { onShowStart(): void }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="about">
      <button aria-expanded={open} aria-controls="about-text" onClick={() => setOpen(!open)} data-testid="about">
        What is this?
      </button>
      {open && (
        <div className="about-text" id="about-text" data-testid="about.text">
          <p>
            A playground for training a neural network on a microcontroller with 256 KB of memory, after{' '}
            <a href={PAPER_URL} target="_blank" rel="noreferrer">
              On-Device Training Under 256KB Memory
            </a>{' '}
            (Lin et al., NeurIPS 2022). Choose which layers to train, see how much memory training needs, then train the
            same int8 kernels the firmware uses, here in your browser.
          </p>
          <button
            onClick={() => {
              onShowStart();
              setOpen(false);
            }}
          >
            show the start-here steps
          </button>
        </div>
      )}
    </div>
  );
}
