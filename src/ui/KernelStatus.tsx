/**
 * A small badge saying whether the WebAssembly kernels loaded and passed their self-check; a click shows the
 * details (the check's message, export count and timings).
 */
import { useEffect, useState } from 'react';
import { useKernels } from '../state/kernels';

export function KernelStatus() {
  const phase = useKernels((s) => s.phase);
  const report = useKernels((s) => s.report);
  const init = useKernels((s) => s.init);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    void init();
  }, [init]);

  let detail = 'loading the WebAssembly kernels…';
  if (report) {
    detail = report.ok
      ? `${report.message}; ${report.build} build, ${report.exportCount} exports, loaded in ${report.loadMs.toFixed(0)} ms, checked in ${report.checkMs.toFixed(1)} ms`
      : report.message;
  }
  const badge = !report ? 'kernels …' : report.ok ? '✓ kernels' : '✕ kernels';
  return (
    <div className="kernel-status" data-testid="kernels.status" data-phase={phase}>
      <button
        className={`kernel-badge kernel-status--${phase}`}
        aria-expanded={open}
        aria-controls="kernel-detail"
        onClick={() => setOpen(!open)}
        data-testid="kernels.badge"
      >
        {badge}
      </button>
      <span className="visually-hidden" role="status">
        {report ? (report.ok ? 'kernels OK' : 'kernels failed') : ''}
      </span>
      <div className="kernel-detail" id="kernel-detail" hidden={!open} data-testid="kernels.detail">
        {detail}
      </div>
    </div>
  );
}
