/**
 * The WebAssembly text of one kernel the plan calls, in the SIMD or the scalar build, read-only in the same
 * lazily loaded Monaco as the firmware. wabt loads only when this view first asks for a kernel.
 */
import { lazy, Suspense, useEffect, useState } from 'react';
import type { TrainingPlan } from '../../compiler/plan';
import type { SourceFile } from '../../state/plan-text';
import { loadKernelWasmText, planKernels } from '../../state/wasm-text';
import type { WasmBuild } from '../../state/wasm-text';

const MonacoView = lazy(() => import('./MonacoView'));

type Shown =
  | { key: string; file: SourceFile; simdOps: number; functions: number; ops: [string, number][] }
  | { key: string; error: string };

const noHover = () => {};

export function WasmTextView({ plan }: { plan: TrainingPlan }) {
  const kernels = planKernels(plan);
  const [picked, setPicked] = useState('tt_pointwise_s8');
  const [build, setBuild] = useState<WasmBuild>('simd');
  const [shown, setShown] = useState<Shown | null>(null);
  const kernel = kernels.includes(picked) ? picked : kernels[0];
  const key = `${kernel}/${build}`;

  useEffect(() => {
    if (!kernel) return;
    let live = true;
    loadKernelWasmText(kernel, build).then(
      (k) => {
        const file: SourceFile = { name: `${kernel}.wat`, language: 'plaintext', text: k.text, lineLayers: [] };
        if (live) setShown({ key, file, simdOps: k.simdOps, functions: k.functions.length, ops: k.simdHistogram });
      },
      (err: unknown) => live && setShown({ key, error: err instanceof Error ? err.message : String(err) }),
    );
    return () => {
      live = false;
    };
  }, [kernel, build, key]);

  const current = shown?.key === key ? shown : null;
  return (
    <>
      <div className="code-toolbar" data-testid="code.wasm">
        <select
          aria-label="kernel"
          data-testid="code.wasm.kernel"
          value={kernel ?? ''}
          onChange={(ev) => setPicked(ev.target.value)}
        >
          {kernels.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <label title="The page runs the SIMD build; the scalar build is the -O3 baseline without -msimd128">
          <input
            type="checkbox"
            data-testid="code.wasm.simd"
            checked={build === 'simd'}
            onChange={(ev) => setBuild(ev.target.checked ? 'simd' : 'scalar')}
          />
          SIMD build
        </label>
        {current && 'file' in current && (
          <span data-testid="code.wasm.count" title="v128 / i8x16 / i16x8 / i32x4 / f32x4 instructions">
            {current.simdOps} SIMD instructions in {current.functions} function{current.functions === 1 ? '' : 's'}
          </span>
        )}
      </div>
      {current && 'file' in current && current.ops.length > 0 && (
        <div
          className="code-toolbar"
          data-testid="code.wasm.ops"
          title="the SIMD mnemonics of this kernel, most used first"
        >
          {current.ops
            .slice(0, 12)
            .map(([op, n]) => `${op} ×${n}`)
            .join(' · ')}
          {current.ops.length > 12 ? ` · …${current.ops.length - 12} more` : ''}
        </div>
      )}
      <div className="code-editor" data-testid="code.editor">
        {!kernel ? (
          <div className="graph-empty" data-testid="code.wasm.message">
            the plan calls no kernels
          </div>
        ) : !current ? (
          <div className="loading" data-testid="code.wasm.loading">
            reading the WebAssembly module…
          </div>
        ) : 'error' in current ? (
          <div className="fit bad" data-testid="code.wasm.message">
            cannot show {kernel}: {current.error}
          </div>
        ) : (
          <Suspense fallback={<div className="loading">loading editor…</div>}>
            <MonacoView file={current.file} hoverLayer={null} onHoverLayer={noHover} />
          </Suspense>
        )}
      </div>
    </>
  );
}
