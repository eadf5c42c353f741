/**
 * The memory panel: the live-bytes timeline of the current plan, overlaid with (or beside) the same scheme
 * with reordering flipped, a legend, and the explanation of the peak (which buffers are live there).
 */
import { useState } from 'react';
import { layerOfStep, liveBuffersAt, peakIndex, stepRangesOf } from '../../state/selectors';
import { usePlayground } from '../../state/playground';
import { CATEGORY_ORDER, CATEGORY_STYLE, bytesShort, kb } from '../format';
import type { GlossaryTerm } from '../glossary';
import { Term } from '../Term';
import { useSize } from '../useSize';
import { StackedMemoryChart } from './StackedMemoryChart';
import { FitLine } from '../FitLine';

/** Legend entries with a glossary explanation. */
const TERM_OF: Partial<Record<string, GlossaryTerm>> = { saved: 'saved', mask: 'masks', scratch: 'scratch' };

export function MemoryTimeline() {
  const compiled = usePlayground((s) => s.compiled);
  const e = usePlayground((s) => s.experiment);
  const hoverLayer = usePlayground((s) => s.hoverLayer);
  const setHover = usePlayground((s) => s.setHover);
  const [sideBySide, setSideBySide] = useState(false);
  const [hoverStep, setHoverStep] = useState<number | null>(null);
  const [ref, size] = useSize<HTMLDivElement>();
  const plan = compiled.plan;
  const other = compiled.other;
  if (!plan)
    return (
      <section
        className="panel timeline"
        data-testid="timeline"
        aria-label="Memory timeline"
        id="panel-memory"
        tabIndex={-1}
      />
    );

  const peak = peakIndex(plan.timeline);
  const focus = hoverStep ?? peak;
  const live = liveBuffersAt(plan, focus);
  const trainable = plan.timeline[focus]?.bytes.trainable ?? 0;
  const budget = e.budgetKb * 1024;
  // Scale to the plans; take the budget line in when it is close enough to read both.
  const top = Math.max(plan.metrics.peakSramBytes, other?.metrics.peakSramBytes ?? 0) * 1.08;
  const yMax = budget <= top * 1.6 ? Math.max(top, budget * 1.06) : top;
  const onHoverStep = (step: number | null) => {
    setHoverStep(step);
    setHover(step === null ? null : layerOfStep(plan, step), 'timeline');
  };
  const chartH = Math.max(120, size.height);
  const half = Math.floor(size.width / 2) - 4;

  return (
    <section className="panel timeline" aria-label="Memory timeline" id="panel-memory" tabIndex={-1}>
      <header className="panel-head">
        <h2>
          Live memory per plan step (<Term term="arena" /> + trainable)
        </h2>
        <div className="legend">
          {CATEGORY_ORDER.map((c) => (
            <span key={c} className="legend-item">
              <i style={{ background: CATEGORY_STYLE[c].color }} />
              {c in TERM_OF ? <Term term={TERM_OF[c]!}>{CATEGORY_STYLE[c].label}</Term> : CATEGORY_STYLE[c].label}
            </span>
          ))}
        </div>
        <label className="toggle">
          <input
            type="checkbox"
            checked={sideBySide}
            onChange={(ev) => setSideBySide(ev.target.checked)}
            data-testid="timeline.sideBySide"
          />
          side by side
        </label>
      </header>
      <FitLine plan={plan} testId="timeline.fit" />
      <div className="timeline-body">
        <div className="timeline-charts" ref={ref} data-testid="timeline">
          {size.width > 0 &&
            (sideBySide && other ? (
              <>
                <StackedMemoryChart
                  width={half}
                  height={chartH}
                  title={e.reorder ? 'reordered' : 'not reordered'}
                  points={plan.timeline}
                  yMax={yMax}
                  budgetBytes={budget}
                  peakStep={peak}
                  highlight={stepRangesOf(plan, hoverLayer)}
                  hoverStep={hoverStep}
                  onHoverStep={onHoverStep}
                  testId="timeline.main"
                />
                <StackedMemoryChart
                  width={half}
                  height={chartH}
                  title={e.reorder ? 'not reordered' : 'reordered'}
                  points={other.timeline}
                  yMax={yMax}
                  budgetBytes={budget}
                  peakStep={peakIndex(other.timeline)}
                  highlight={stepRangesOf(other, hoverLayer)}
                  hoverStep={null}
                  onHoverStep={null}
                  testId="timeline.other"
                />
              </>
            ) : (
              <StackedMemoryChart
                width={size.width}
                height={chartH}
                title={e.reorder ? 'reordered (dashed: not reordered)' : 'not reordered (dashed: reordered)'}
                points={plan.timeline}
                yMax={yMax}
                budgetBytes={budget}
                peakStep={peak}
                compare={
                  other ? { label: e.reorder ? 'not reordered' : 'reordered', points: other.timeline } : undefined
                }
                highlight={stepRangesOf(plan, hoverLayer)}
                hoverStep={hoverStep}
                onHoverStep={onHoverStep}
                testId="timeline.main"
              />
            ))}
        </div>
        <aside
          className="peak-explain"
          data-testid="timeline.explain"
          tabIndex={0}
          aria-label="What is live at this step"
        >
          <p className="hint" data-testid="timeline.accounting">
            peak SRAM {kb(plan.metrics.peakSramBytes)} = arena {kb(plan.metrics.arenaBytes)} (placed, aligned) +
            trainable {kb(plan.metrics.trainableSramBytes)}
          </p>
          <h3>
            {hoverStep === null ? 'Peak live' : 'Live'} at step {focus}: {kb(plan.timeline[focus]?.total ?? 0)}
          </h3>
          <p className="hint">
            {plan.steps[focus]?.kernel} · {plan.steps[focus]?.op}
            {plan.steps[focus]?.note ? ` · ${plan.steps[focus]?.note}` : ''}
          </p>
          <ul>
            {trainable > 0 && (
              <li>
                <i style={{ background: CATEGORY_STYLE.trainable.color }} />
                trainable weights <span>{bytesShort(trainable)}</span>
              </li>
            )}
            {live.slice(0, 9).map((b) => (
              <li key={b.id} title={`${b.dtype}, steps ${b.firstStep}..${b.lastStep}, offset ${b.offset}`}>
                <i style={{ background: CATEGORY_STYLE[b.category].color }} />
                <em className="buf-name">{b.name}</em>
                <span>{bytesShort(b.bytes)}</span>
              </li>
            ))}
            {live.length > 9 && <li className="hint">…{live.length - 9} smaller buffers</li>}
          </ul>
        </aside>
      </div>
    </section>
  );
}
