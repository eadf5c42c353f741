/**
 * The code panel: the generated sources in Monaco (lazy-loaded), and a download of the source bundle.
 * Until the firmware generator exists it shows the plan as text and the bundle holds the plan.
 */
import { lazy, Suspense, useMemo, useState } from 'react';
import { zipSync, strToU8 } from 'fflate';
import { usePlayground } from '../../state/playground';
import { planText } from '../../state/plan-text';
import type { SourceFile } from '../../state/plan-text';

const MonacoView = lazy(() => import('./MonacoView'));

function download(files: SourceFile[], name: string) {
  const zip = zipSync(Object.fromEntries(files.map((f) => [f.name, strToU8(f.text)])));
  const url = URL.createObjectURL(new Blob([zip], { type: 'application/zip' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function CodePanel() {
  const plan = usePlayground((s) => s.compiled.plan);
  const hoverLayer = usePlayground((s) => s.hoverLayer);
  const setHover = usePlayground((s) => s.setHover);
  const files = useMemo(() => (plan ? [planText(plan)] : []), [plan]);
  const [active, setActive] = useState(0);
  const file = files[Math.min(active, files.length - 1)];
  if (!plan || !file) return <div className="graph-empty">no plan</div>;
  return (
    <div className="code-panel" data-testid="code">
      <div className="code-toolbar">
        {files.map((f, i) => (
          <button key={f.name} className={i === active ? 'on' : ''} onClick={() => setActive(i)}>
            {f.name}
          </button>
        ))}
        <span className="hint">firmware generator not available yet: showing the plan</span>
        <span className="spacer" />
        <button data-testid="code.download" onClick={() => download(files, `${plan.model.name}-plan.zip`)}>
          download bundle
        </button>
      </div>
      <div className="code-editor" data-testid="code.editor">
        <Suspense fallback={<div className="loading">loading editor…</div>}>
          <MonacoView file={file} hoverLayer={hoverLayer} onHoverLayer={(l) => setHover(l, 'code')} />
        </Suspense>
      </div>
    </div>
  );
}
