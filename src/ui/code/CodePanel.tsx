/**
 * The code panel: the generated firmware in Monaco (lazy-loaded, bundled), a file list, the fit report, and
 * a download of the source bundle as a zip. The generator runs when the panel opens and when the plan changes.
 */
import { lazy, Suspense, useEffect, useState } from 'react';
import { firmwareInputs, loadFirmware } from '../../state/firmware';
import type { FirmwareView, WeightsChoice } from '../../state/firmware';
import { usePlayground } from '../../state/playground';
import { useTraining } from '../../state/training';
import { kb } from '../format';
import { WasmTextView } from './WasmTextView';
import { saveBytes } from '../download';
import { FitLine } from '../FitLine';

const MonacoView = lazy(() => import('./MonacoView'));
/** The file-picker entry for the WebAssembly text of a kernel (not a file of the bundle). */
const WASM_ENTRY = 'webassembly';

interface Generated {
  fw: FirmwareView;
  /** Why the bundle could not get its weights or samples (the code shown is the plan's, download disabled). */
  problem: string | null;
  step: number;
  checksum: string | null;
  predictions: number[];
}

/** Generates the bundle for the current plan with the chosen weights; regenerates when they change. */
function useFirmware(choice: WeightsChoice, refresh: number): Generated | null {
  const compiled = usePlayground((s) => s.compiled);
  const e = usePlayground((s) => s.experiment);
  const [out, setOut] = useState<Generated | null>(null);
  const { board, lr, rounding, qas, seed } = e;
  useEffect(() => {
    if (!compiled.plan) return;
    let live = true;
    const t = setTimeout(async () => {
      let g: Generated;
      try {
        const inputs = await firmwareInputs(compiled, choice);
        const fw = await loadFirmware(inputs.plan, inputs.graph, e, inputs);
        g = {
          fw,
          problem: null,
          step: inputs.step,
          checksum: inputs.contents.checksum,
          predictions: inputs.predictions,
        };
      } catch (err) {
        const fw = await loadFirmware(compiled.plan!, compiled.graph, e);
        g = { fw, problem: err instanceof Error ? err.message : String(err), step: 0, checksum: null, predictions: [] };
      }
      if (live) setOut(g);
    }, 50);
    return () => {
      live = false;
      clearTimeout(t);
    };
    // regenerate only when the plan, its weights or a knob the firmware prints changes
  }, [compiled.plan, compiled.weights, choice, refresh, board, lr, rounding, qas, seed]);
  return out;
}

/** The weights a bundle embeds: the compiled model's, or the worker's as trained on this page. */
function WeightsPicker(props: { choice: WeightsChoice; onChoice(c: WeightsChoice): void; onRefresh(): void }) {
  const steps = useTraining((s) => s.history.at(-1)?.step ?? 0);
  const origin = usePlayground((s) => s.compiled.weights?.origin);
  return (
    <label className="weights-pick">
      weights{' '}
      <select
        data-testid="code.weights"
        value={props.choice}
        onChange={(ev) => props.onChoice(ev.target.value as WeightsChoice)}
      >
        <option value="initial">{origin === 'file' ? 'your model file' : 'pretrained backbone'}</option>
        <option value="trained" disabled={steps === 0}>
          as trained on this page{steps ? ` (step ${steps})` : ' (train first)'}
        </option>
      </select>
      {props.choice === 'trained' && (
        <button data-testid="code.refresh" onClick={props.onRefresh} title="Take the worker's weights again">
          update to step {steps}
        </button>
      )}
    </label>
  );
}

export function CodePanel() {
  const plan = usePlayground((s) => s.compiled.plan);
  const hoverLayer = usePlayground((s) => s.hoverLayer);
  const setHover = usePlayground((s) => s.setHover);
  const [choice, setChoice] = useState<WeightsChoice>('initial');
  const [refresh, setRefresh] = useState(0);
  const g = useFirmware(choice, refresh);
  const [active, setActive] = useState('model/tt_model.c');
  const fw = g?.fw ?? null;

  if (!plan) return <div className="graph-empty">no plan</div>;
  if (!fw)
    return (
      <div className="loading" data-testid="code.loading">
        generating the firmware…
      </div>
    );
  const file = fw.files.find((f) => f.name === active) ?? fw.files[0];
  return (
    <div className="code-panel" data-testid="code">
      <div className="code-toolbar">
        <select
          aria-label="file"
          data-testid="code.file"
          value={active === WASM_ENTRY ? WASM_ENTRY : file.name}
          onChange={(ev) => setActive(ev.target.value)}
        >
          {fw.files.map((f) => (
            <option key={f.name} value={f.name}>
              {f.name} ({kb(f.text.length, 0)})
            </option>
          ))}
          <option value={WASM_ENTRY}>WebAssembly text of a kernel</option>
        </select>
        {fw.fit && (
          <span
            className={fw.fit.fits ? 'fit good' : 'fit bad'}
            data-testid="code.fit"
            title={fw.fit.problems.join('\n')}
          >
            {fw.fit.board.name}: SRAM {kb(fw.fit.sram.total)} / {kb(fw.fit.sram.limit, 0)}, flash{' '}
            {kb(fw.fit.flash.total)} / {kb(fw.fit.flash.limit, 0)} · {fw.fit.fits ? 'fits' : 'does not fit'}
          </span>
        )}
        {fw.error && <span className="fit bad">firmware generator: {fw.error}</span>}
        <WeightsPicker choice={choice} onChoice={setChoice} onRefresh={() => setRefresh((r) => r + 1)} />
        <span className="spacer" />
        <button
          data-testid="code.download"
          disabled={!!g?.problem}
          onClick={() => void fw.zip().then((z) => saveBytes(z.fileName, z.bytes, 'application/zip'))}
          title="Download the source bundle (model, demo, Cortex-M7 start-up, linker script, kernels, Makefile)"
        >
          download bundle
        </button>
      </div>
      <FitLine plan={plan} testId="code.devicefit" />
      <p
        className={g?.problem ? 'fit bad code-weights' : 'hint code-weights'}
        data-testid="code.weights-info"
        data-checksum={g?.checksum ?? ''}
        data-step={g?.step ?? 0}
        data-predictions={g?.predictions.join(',') ?? ''}
      >
        {g?.problem
          ? `The bundle cannot be made yet: ${g.problem}`
          : `Embeds ${g?.step ? `the weights trained on this page (step ${g.step})` : 'the weights as compiled'}, weights checksum ${g?.checksum}; README.md lists what is inside.`}
      </p>
      {active === WASM_ENTRY ? (
        <WasmTextView plan={plan} />
      ) : (
        <div className="code-editor" data-testid="code.editor">
          <Suspense fallback={<div className="loading">loading editor…</div>}>
            <MonacoView file={file} hoverLayer={hoverLayer} onHoverLayer={(l) => setHover(l, 'code')} />
          </Suspense>
        </div>
      )}
    </div>
  );
}
