/**
 * The code panel: the generated firmware in Monaco (lazy-loaded, bundled), a file list, the fit report, and
 * a download of the source bundle as a zip. The generator runs when the panel opens and when the plan changes.
 */
import { lazy, Suspense, useEffect, useState } from 'react';
import { loadFirmware } from '../../state/firmware';
import type { FirmwareView } from '../../state/firmware';
import { usePlayground } from '../../state/playground';
import { kb } from '../format';
import { WasmTextView } from './WasmTextView';

const MonacoView = lazy(() => import('./MonacoView'));
/** The file-picker entry for the WebAssembly text of a kernel (not a file of the bundle). */
const WASM_ENTRY = 'webassembly';

function save(fileName: string, bytes: Uint8Array) {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/zip' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function CodePanel() {
  const plan = usePlayground((s) => s.compiled.plan);
  const graph = usePlayground((s) => s.compiled.graph);
  const e = usePlayground((s) => s.experiment);
  const hoverLayer = usePlayground((s) => s.hoverLayer);
  const setHover = usePlayground((s) => s.setHover);
  const [fw, setFw] = useState<FirmwareView | null>(null);
  const [active, setActive] = useState('model/tt_model.c');
  const { board, lr, rounding, qas, seed } = e;

  useEffect(() => {
    if (!plan) return;
    let live = true;
    const t = setTimeout(() => void loadFirmware(plan, graph, e).then((v) => live && setFw(v)), 50);
    return () => {
      live = false;
      clearTimeout(t);
    };
    // regenerate only when the plan or a knob the firmware prints changes
  }, [plan, board, lr, rounding, qas, seed]);

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
        <span className="spacer" />
        <button
          data-testid="code.download"
          onClick={() => void fw.zip().then((z) => save(z.fileName, z.bytes))}
          title="Download the source bundle (model, demo, Cortex-M7 start-up, linker script, kernels, Makefile)"
        >
          download bundle
        </button>
      </div>
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
