/**
 * Does the firmware fit the board? The prediction the UI shows before download and the CLI prints, from the plan
 * alone (no C compiler), itemized the way the MCU linker script lays memory out:
 *   SRAM  = arena (plan.arenaBytes, .bss) + trainable weights, biases and rng (.data) + stack + heap
 *           + runtime data (newlib's state, stdio, the model's small statics)
 *   flash = constants the build references (frozen weights, multipliers, scales, structs; of the two gradient
 *           scale sets only the QAS or the plain one: --gc-sections drops the other) + initial values of the
 *           trainable arrays (the .data load image) + embedded samples + code
 * Code is an estimate: a fixed part (kernels, start-up, newlib-nano's printf, demo) plus a cost per printed
 * kernel call after loop folding, calibrated against arm-none-eabi-size of real builds (docs/firmware.md lists
 * both; the firmware test checks that the estimate bounds the measurement and stays close to it). The linker
 * script enforces the same limits exactly, so a wrong estimate can only make the build fail with a clear message,
 * never produce firmware that overflows.
 */
import type { TrainingPlan } from '../plan';
import { constNames } from './emit-model';
import { stepCalls } from './emit-steps';
import { foldCalls } from './fold';

/** A board as the playground describes it (src/compiler/boards.ts has the list). */
export interface FirmwareBoard {
  id: string;
  name: string;
  core?: string;
  sramKb: number;
  flashKb: number;
}

export interface FitOptions {
  /** Which gradient-scale consts the build references (the other set is dropped by the linker). */
  qas: boolean;
  stackBytes: number;
  heapBytes: number;
  /** Bytes of embedded sample images. */
  sampleBytes: number;
}

/** Upper bounds measured on the generated MCU builds (arm-none-eabi-gcc 12.2 -O2, newlib-nano). The base grew from
 * 18 to 21 KB when the kernels came to pick a requantization mode at run time (three epilogues, TFLite's ADD, MEAN). */
export const CODE_BASE_BYTES = 21 * 1024;
export const CODE_PER_CALL_BYTES = 44;
export const RUNTIME_SRAM_BYTES = 1024;

export interface FitPart {
  name: string;
  bytes: number;
}

export interface MemoryFit {
  limit: number;
  total: number;
  parts: FitPart[];
  fits: boolean;
}

export interface FirmwareFit {
  board: FirmwareBoard;
  fits: boolean;
  sram: MemoryFit;
  flash: MemoryFit;
  /** One sentence per overflow, with the numbers; empty when it fits. */
  problems: string[];
}

/** Kernel calls the generated C prints (after folding band loops) for both sub-plans. */
export function printedCalls(plan: TrainingPlan): number {
  const names = constNames(plan.consts);
  const count = (lr: boolean, sub: TrainingPlan['inference']) =>
    foldCalls(
      stepCalls(sub, { consts: plan.consts, names, arenaBytes: plan.arenaBytes, provides: { lr, label: true } }),
    ).reduce((a, f) => a + (f.kind === 'call' ? 1 : f.body.length), 0);
  return count(true, plan) + count(false, plan.inference);
}

/** Ids of the consts some step of either sub-plan passes, gscale args resolved by the QAS choice. */
export function referencedConsts(plan: TrainingPlan, qas: boolean): Set<number> {
  const ids = new Set<number>();
  for (const step of [...plan.steps, ...plan.inference.steps]) {
    for (const a of step.args) {
      if (a.kind === 'const') ids.add(a.id);
      else if (a.kind === 'gscale') ids.add(qas ? a.qas : a.plain);
    }
  }
  return ids;
}

function memory(limit: number, parts: FitPart[]): MemoryFit {
  const total = parts.reduce((a, p) => a + p.bytes, 0);
  return { limit, total, parts, fits: total <= limit };
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

/** The fit of a plan's firmware on a board, itemized. */
export function firmwareFit(plan: TrainingPlan, board: FirmwareBoard, o: FitOptions): FirmwareFit {
  const sramConsts = plan.consts.filter((c) => c.storage === 'sram').reduce((a, c) => a + c.data.byteLength, 0);
  const used = referencedConsts(plan, o.qas);
  const flashConsts = plan.consts
    .filter((c) => c.storage === 'flash' && used.has(c.id))
    .reduce((a, c) => a + c.data.byteLength, 0);
  const sram = memory(board.sramKb * 1024, [
    { name: 'arena', bytes: plan.arenaBytes },
    { name: 'trainable weights and biases', bytes: sramConsts + 4 },
    { name: 'stack', bytes: o.stackBytes },
    { name: 'heap', bytes: o.heapBytes },
    { name: 'runtime data', bytes: RUNTIME_SRAM_BYTES },
  ]);
  const flash = memory(board.flashKb * 1024, [
    { name: 'constants', bytes: flashConsts },
    { name: 'trainable initial values', bytes: sramConsts + 4 },
    { name: 'samples', bytes: o.sampleBytes },
    { name: 'code (estimate)', bytes: CODE_BASE_BYTES + CODE_PER_CALL_BYTES * printedCalls(plan) },
  ]);
  const problems: string[] = [];
  const say = (what: string, m: MemoryFit) =>
    problems.push(
      `${what}: needs ${kb(m.total)} of the ${board.name}'s ${kb(m.limit)} (${m.parts.map((p) => `${p.name} ${kb(p.bytes)}`).join(', ')})`,
    );
  if (!sram.fits) say('SRAM', sram);
  if (!flash.fits) say('flash', flash);
  return { board, fits: sram.fits && flash.fits, sram, flash, problems };
}
