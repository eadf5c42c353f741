/** One line saying whether the WebAssembly kernels loaded and passed their self-check, with timings. */
import { useEffect } from 'react';
import { useKernels } from '../state/kernels';

export function KernelStatus() {
  const phase = useKernels((s) => s.phase);
  const report = useKernels((s) => s.report);
  const init = useKernels((s) => s.init);
  useEffect(() => {
    void init();
  }, [init]);

  let text = 'loading kernels…';
  if (report) {
    text = report.ok
      ? `${report.message}; ${report.exportCount} exports, loaded in ${report.loadMs.toFixed(0)} ms, checked in ${report.checkMs.toFixed(1)} ms`
      : report.message;
  }
  return (
    <span className={`kernel-status kernel-status--${phase}`} data-testid="kernels.status" role="status" title={text}>
      {text}
    </span>
  );
}
