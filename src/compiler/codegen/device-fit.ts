/**
 * One fit verdict for the page and the CLI: the header, the memory timeline and the Code panel all show these
 * numbers, and the firmware bundle's own fit check computes the same (firmwareFit with the bundle's default stack,
 * heap and sample count). Peak SRAM is the plan's (arena + trainable weights); the firmware adds its stack, heap
 * and runtime data on top, shown as their own line; flash is the firmware image (constants, initial values of the
 * trainable weights, samples, code estimate). It fits when the peak is within the budget and the firmware fits
 * the board.
 */
import { boardById, type BoardId } from '../boards';
import type { TrainingPlan } from '../plan';
import { DEFAULT_HEAP_BYTES, DEFAULT_STACK_BYTES } from './bundle';
import { firmwareFit, type FirmwareFit } from './fit';
import { estimateLatency, type LatencyEstimate } from './latency';
import { defaultSampleCount } from './samples';

export interface DeviceFit {
  /** Arena + trainable weights: the plan's peak SRAM. */
  peakSramBytes: number;
  budgetBytes: number;
  /** What the firmware adds in SRAM: stack, heap, runtime data. */
  firmwareExtraBytes: number;
  /** peakSramBytes + firmwareExtraBytes (+ the rng word): the device's SRAM use. */
  deviceSramBytes: number;
  sramLimitBytes: number;
  flashBytes: number;
  flashLimitBytes: number;
  boardName: string;
  fits: boolean;
  /** 'fits', or what does not: 'over the 128 KB budget', 'does not fit the STM32F411 SRAM', ... */
  verdict: string;
  firmware: FirmwareFit;
  /** Estimated training-step time on the board (latency.ts): a model, not a measurement. */
  latency: LatencyEstimate;
  /** 'est. training step ~546 ms on STM32F746 @ 216 MHz', or why there is no estimate. */
  latencyText: string;
}

/** The latency line of the fit: always labelled as an estimate. */
export function latencyText(l: LatencyEstimate, boardName: string, core: string): string {
  if (l.missing.length) return `no latency estimate: ${l.missing.join(', ')} not measured (npm run bench -- latency)`;
  if (l.ms === null) return `no latency estimate for the ${core} (calibrated for Cortex-M7 only)`;
  const ms = l.ms >= 100 ? Math.round(l.ms).toString() : l.ms.toPrecision(2);
  return `est. training step ~${ms} ms on ${boardName} @ ${l.clockMhz} MHz`;
}

const cache = new WeakMap<TrainingPlan, Map<string, DeviceFit>>();

export function deviceFit(plan: TrainingPlan, e: { board: BoardId; budgetKb: number; qas: boolean }): DeviceFit {
  const key = `${e.board}|${e.budgetKb}|${e.qas}`;
  let byKey = cache.get(plan);
  const hit = byKey?.get(key);
  if (hit) return hit;
  const board = boardById(e.board);
  const sampleBytes = defaultSampleCount(plan.input.bytes) * plan.input.bytes;
  const firmware = firmwareFit(plan, board, {
    qas: e.qas,
    stackBytes: DEFAULT_STACK_BYTES,
    heapBytes: DEFAULT_HEAP_BYTES,
    sampleBytes,
  });
  const peak = plan.metrics.peakSramBytes;
  const latency = estimateLatency(plan, board);
  const budget = e.budgetKb * 1024;
  const problems = [
    peak > budget ? `over the ${e.budgetKb} KB budget` : '',
    firmware.sram.fits ? '' : `does not fit the ${board.name}'s SRAM`,
    firmware.flash.fits ? '' : `does not fit the ${board.name}'s flash`,
  ].filter(Boolean);
  const out: DeviceFit = {
    peakSramBytes: peak,
    budgetBytes: budget,
    firmwareExtraBytes: firmware.sram.total - peak,
    deviceSramBytes: firmware.sram.total,
    sramLimitBytes: firmware.sram.limit,
    flashBytes: firmware.flash.total,
    flashLimitBytes: firmware.flash.limit,
    boardName: board.name,
    fits: problems.length === 0,
    verdict: problems.length ? problems.join(', ') : 'fits',
    firmware,
    latency,
    latencyText: latencyText(latency, board.name, board.core),
  };
  if (!byKey) cache.set(plan, (byKey = new Map()));
  byKey.set(key, out);
  return out;
}
