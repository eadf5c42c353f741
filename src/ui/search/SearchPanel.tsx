/**
 * The Search tab (issue 11): settings and progress (SearchForm), then the contribution heat map, accuracy gain
 * against peak SRAM for every priced scheme (SchemePlot) and the notable schemes with "Use this scheme",
 * which puts the scheme into the editor through the playground (it asks first when a trained run would go).
 */
import { useEffect, useState } from 'react';
import { withinLatency, type Candidate } from '../../runtime/training/search-solve';
import { boardById } from '../../compiler/boards';
import { usePlayground } from '../../state/playground';
import { useSearch, type SearchOutcome } from '../../state/search';
import { closeCall } from '../../state/search-noise';
import { useSize } from '../useSize';
import { ContributionHeatMap } from './ContributionHeatMap';
import { SchemePlot } from './SchemePlot';
import { SearchForm } from './SearchForm';

const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
const pts = (g: number) => `${g >= 0 ? '+' : ''}${(100 * g).toFixed(1)} pts`;
/** The estimated step of a candidate, when the search had a calibrated board. */
const est = (c: Candidate) =>
  c.estStepMs === undefined
    ? ''
    : c.estStepMs === null
      ? ' · no latency estimate'
      : ` · est. ~${c.estStepMs.toFixed(1)} ms/step`;

interface Choice {
  label: string;
  c: Candidate;
}

/** The schemes worth a button: the answer, the published ones, the Pareto front within budget, last-k. */
function choices(o: SearchOutcome): Choice[] {
  const out: Choice[] = [];
  const seen = new Set<string>();
  const add = (label: string, c: Candidate) => {
    if (seen.has(c.scheme)) return;
    seen.add(c.scheme);
    out.push({ label, c });
  };
  if (o.solve.best) add('searched (the finalist best on validation)', o.solve.best);
  if (o.solve.summed) add('summed-gain answer (no cap on updated weights)', o.solve.summed);
  for (const p of o.solve.published) add(`published ${p.id} (measured)`, p);
  const limit = o.solve.latency?.limitMs;
  const fits = o.solve.lastK.filter((c) => c.peakSramBytes <= o.budgetBytes && withinLatency(c, limit));
  const lastK = fits.reduce<(typeof fits)[number] | null>((a, c) => (!a || c.gain > a.gain ? c : a), null);
  if (lastK) add(`best last-k that fits (k = ${lastK.k})`, lastK);
  for (const c of o.solve.pareto
    .filter((c) => c.peakSramBytes <= o.budgetBytes)
    .reverse()
    .slice(0, 5))
    add('Pareto front', c);
  return out;
}

function Results({ o }: { o: SearchOutcome }) {
  const [selected, setSelected] = useState<string | null>(o.solve.best?.scheme ?? null);
  const use = useSearch((x) => x.useScheme);
  const current = usePlayground((x) => x.compiled.schemeText);
  const [ref, size] = useSize<HTMLDivElement>();
  const list = choices(o);
  return (
    <div className="search-results" data-testid="search.results">
      <p className="hint">
        {o.runs.length} runs
        {o.finalistRuns > 0 && ` and ${o.finalistRuns} finalist runs of ${o.finalistSteps} steps`} on {o.workers} worker
        {o.workers > 1 ? 's' : ''} in {(o.wallMs / 1000).toFixed(1)} s
        {o.cachedRuns > 0 && ` (${o.cachedRuns} from the cache)`};{' '}
        {o.prefixCache ? 'frozen-prefix outputs cached per image; results bit-identical.' : 'frozen-prefix cache off.'}{' '}
        Gains are validation accuracy (the training split's last images; the test split is never read); a scheme's gain
        is the sum of its parts, a published scheme's is measured.
      </p>
      {!o.solve.best && (
        <p className="search-error" data-testid="search.nothing-fits">
          Nothing fits: not even classifier-only keeps within {kb(o.budgetBytes)}
          {o.solve.latency?.limitMs != null && ` and ~${o.solve.latency.limitMs} ms per step (estimated)`}.
        </p>
      )}
      <ContributionHeatMap space={o.space} gains={o.gains} />
      <div ref={ref} className="plot-wrap">
        {size.width > 0 && (
          <SchemePlot
            solve={o.solve}
            budgetBytes={o.budgetBytes}
            width={size.width}
            selected={selected}
            onSelect={setSelected}
          />
        )}
      </div>
      {o.solve.latency && <LatencyFigures o={o} width={size.width} selected={selected} onSelect={setSelected} />}
      <ul className="legend plot-legend" aria-hidden="true">
        <li className="lg-cand">priced</li>
        {o.solve.latency?.limitMs != null && <li className="lg-over">over the latency budget</li>}
        <li className="lg-front">Pareto front</li>
        <li className="lg-lastk">last-k</li>
        <li className="lg-published">published</li>
        <li className="lg-best">searched</li>
      </ul>
      {o.solve.finalists.length > 0 && <Finalists o={o} />}
      <fieldset className="scheme-choices">
        <legend>Schemes</legend>
        {list.map(({ label, c }) => (
          <label key={c.scheme} className="scheme-choice">
            <input
              type="radio"
              name="search-scheme"
              checked={selected === c.scheme}
              onChange={() => setSelected(c.scheme)}
              data-testid="search.choice"
              value={c.scheme}
            />
            <span>
              <strong>{label}</strong>: <code>{c.scheme}</code> · {kb(c.peakSramBytes)} · {pts(c.gain)}
              {est(c)}
              {c.peakSramBytes > o.budgetBytes && ' · over budget'}
              {!withinLatency(c, o.solve.latency?.limitMs) && ' · over the latency budget'}
            </span>
          </label>
        ))}
      </fieldset>
      <button
        type="button"
        disabled={!selected || selected === current}
        onClick={() => selected && use(selected)}
        data-testid="search.use"
      >
        {selected && selected === current ? 'This scheme is in the editor' : 'Use this scheme'}
      </button>
    </div>
  );
}

/** When the answer's lead over the next finalist is within the validation split's noise: says so, and what would help. */
function CloseCallNote({ o }: { o: SearchOutcome }) {
  const c = closeCall(o.solve.finalists, o.solve.best?.scheme, o.validation);
  if (!c) return null;
  const p = (x: number) => (100 * x).toFixed(1);
  return (
    <p className="hint" data-testid="search.close-call" data-lead={c.lead} data-noise={c.noise}>
      Within the noise: the answer leads <code>{c.runnerUp}</code> by {p(c.lead)} points on {c.images} validation
      images, where chance alone moves the difference of two such scores by about ±{p(c.noise)} points (two binomial
      standard errors). Either may do better on new data; more validation images (the budget table in the README uses
      4,000) would tell them apart.
    </p>
  );
}

/** The finalists: summed gain (what the search maximized) next to the validation accuracy they reached. */
function Finalists({ o }: { o: SearchOutcome }) {
  return (
    <>
      <table className="finalists" data-testid="search.finalists">
        <caption>
          Finalists: the best summed gain with at most 1, 2, 3, 4, 6, 8 or any number of updated weight tensors, and the
          known schemes that fit (the best last-k, the published ones), each fine-tuned like a contribution run but for{' '}
          {o.finalistSteps} steps ({`${o.finalistRuns} new run${o.finalistRuns === 1 ? '' : 's'}`}); the best on
          validation is the answer
        </caption>
        <thead>
          <tr>
            <th scope="col">scheme</th>
            <th scope="col">weights</th>
            <th scope="col">summed gain</th>
            <th scope="col">validation</th>
            <th scope="col">peak SRAM</th>
          </tr>
        </thead>
        <tbody>
          {o.solve.finalists.map((f) => (
            <tr key={f.scheme} data-testid="search.finalist" aria-current={f.scheme === o.solve.best?.scheme}>
              <td>
                <code>{f.scheme}</code>
                {f.reference && <span data-testid="search.finalist-reference"> = {f.reference}</span>}
                {f.scheme === o.solve.best?.scheme && ' (answer)'}
              </td>
              <td>{f.scheme.includes('w:') ? f.scheme.split('w:')[1].split(',').length : 0}</td>
              <td>{pts(f.gain)}</td>
              <td data-testid="search.finalist-gain" data-accuracy={f.accuracy ?? ''}>
                {f.accuracy === null ? 'not run' : `${(100 * f.accuracy).toFixed(1)}%`}
              </td>
              <td>{kb(f.peakSramBytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <CloseCallNote o={o} />
    </>
  );
}

/** The estimated training-step time of the schemes on the board (a calibrated one): a note and the plot. */
function LatencyFigures(props: {
  o: SearchOutcome;
  width: number;
  selected: string | null;
  onSelect(s: string): void;
}) {
  const { o, width } = props;
  const lat = o.solve.latency!;
  const best = o.solve.best;
  return (
    <>
      <p
        className="hint"
        data-testid="search.latency-summary"
        data-best-ms={best?.estStepMs ?? ''}
        data-limit-ms={lat.limitMs ?? ''}
      >
        Estimated training step (batch 1) on the {boardById(lat.board).name}
        {lat.limitMs !== null ? `, budget ${lat.limitMs} ms` : ''}
        {best?.estStepMs != null ? `: the searched scheme ~${best.estStepMs.toFixed(1)} ms` : ''}. An estimate from the
        latency model (per-kernel instruction counts under QEMU, one Cortex-M7 factor fitted on the paper's STM32F746
        figures, about ±15%).
      </p>
      {width > 0 && (
        <SchemePlot
          solve={o.solve}
          budgetBytes={o.budgetBytes}
          width={width}
          selected={props.selected}
          onSelect={props.onSelect}
          axis="latency"
        />
      )}
    </>
  );
}

/** The first time the tab opens, the search starts from the editor's board and budget. */
let seeded = false;

export function SearchPanel() {
  const model = usePlayground((s) => s.compiled.model);
  const backbone = usePlayground((s) => s.experiment.model);
  const outcome = useSearch((s) => s.outcome);
  useEffect(() => {
    if (seeded) return;
    seeded = true;
    const { board, budgetKb } = usePlayground.getState().experiment;
    useSearch.getState().setSettings({ board, budgetKb });
  }, []);
  if (!model) return <p className="hint">No compiled model to search for; see the editor.</p>;
  return (
    <div className="search-panel" data-testid="search.panel">
      <p className="hint">
        Finds a sparse-update scheme for the budget: short fine-tuning runs on the built-in data set measure what each
        update contributes, then a seeded evolutionary search maximizes the summed gain under the peak SRAM the compiler
        computes; its finalists (fewer or more updated weight tensors, and the best last-k and published schemes that
        fit) are fine-tuned the same way and the best on validation is the answer.
      </p>
      <SearchForm convCount={model.convs.length} />
      {outcome && outcome.model === backbone && <Results key={outcome.wallMs} o={outcome} />}
    </div>
  );
}
