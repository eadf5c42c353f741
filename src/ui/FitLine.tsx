/**
 * The page's one fit verdict (state/fit.ts), drawn the same way wherever it appears: the header, the memory
 * timeline and the Code panel. `where` names the test id ('summary.fit', 'timeline.fit', 'code.devicefit').
 */
import type { TrainingPlan } from '../compiler/plan';
import { deviceFit } from '../compiler/codegen/device-fit';
import { usePlayground } from '../state/playground';
import { kb } from './format';

export function FitLine({ plan, testId }: { plan: TrainingPlan; testId: string }) {
  const board = usePlayground((s) => s.experiment.board);
  const budgetKb = usePlayground((s) => s.experiment.budgetKb);
  const qas = usePlayground((s) => s.experiment.qas);
  const f = deviceFit(plan, { board, budgetKb, qas });
  return (
    <p
      className={`fit-line ${f.fits ? 'good' : 'bad'}`}
      data-testid={testId}
      data-peak={f.peakSramBytes}
      data-flash={f.flashBytes}
      data-fits={f.fits}
      title={f.firmware.problems.join('\n') || undefined}
    >
      <span>
        peak SRAM <b>{kb(f.peakSramBytes)}</b> of the {budgetKb} KB budget
      </span>{' '}
      <span className="fit-extra">
        + stack, heap and runtime {kb(f.firmwareExtraBytes)} on the device = {kb(f.deviceSramBytes)} of the{' '}
        {f.boardName}&apos;s {kb(f.sramLimitBytes, 0)}
      </span>{' '}
      <span>
        · flash {kb(f.flashBytes)} of {kb(f.flashLimitBytes, 0)}
      </span>{' '}
      · <b data-testid={`${testId}.verdict`}>{f.verdict}</b>{' '}
      <span
        className="fit-latency"
        data-testid={`${testId}.latency`}
        data-ms={f.latency.ms ?? undefined}
        title="An estimate: instructions per kernel measured under QEMU, times one cycles-per-instruction factor calibrated on the paper's STM32F746 latencies (README, latency model)"
      >
        · {f.latencyText}
      </span>
    </p>
  );
}
