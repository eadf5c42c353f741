/**
 * Builds and runs firmware bundles for the firmware test and the size table (docs/firmware.md):
 *   prepare: model -> plan -> bundle (real public/data images as samples) written to a folder
 *   build:   `make host mcu` in the bundle (the bundle's own Makefile, -Wall -Wextra -Werror)
 *   run:     the host binary, and the MCU ELF under qemu-system-arm -M mps2-an500 with semihosting (in `timeout`)
 *   measure: arm-none-eabi-size -A of the ELF, next to the planner's and the fit report's numbers
 * Builds run through a small pool (2 at a time: the CI machine has 2 cores).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  generateFirmware,
  syntheticSamples,
  defaultSampleCount,
  type FirmwareBundle,
  type FirmwareSample,
} from '../../src/compiler/codegen';
import type { RunSettings } from '../../src/compiler/settings';
import type { RequantName } from '../../src/compiler/kernel-abi';
import { compile } from '../../src/compiler/compile';
import type { ModelName } from '../../src/compiler/models/arch';
import { modelWithWeights, weightsChoice } from '../../src/cli/weights';
import type { TrainingPlan } from '../../src/compiler/plan';
import { datasetSamples, readKernelSources, writeBundle } from '../../src/cli/firmware-io';
import { BOARDS, type BoardId } from '../../src/compiler/boards';

const exec = promisify(execFile);

export interface FirmwareCase {
  model: string;
  resolution: number;
  scheme: string;
  board: BoardId;
  classes: number;
  steps: number;
  settings: RunSettings;
  labels?: string[];
  /** A default bundle whose demo must learn: its loss falls from the first to the last window of steps. */
  learns?: boolean;
  /** The model's requantization mode (Model.requant); absent: the built-ins' float-half-away. */
  requant?: RequantName;
}

export interface Prepared {
  c: FirmwareCase;
  dir: string;
  plan: TrainingPlan;
  bundle: FirmwareBundle;
  samples: FirmwareSample[];
}

export function caseName(c: FirmwareCase): string {
  return `${c.model}@${c.resolution} ${c.scheme} on ${c.board}${c.requant ? ` (${c.requant})` : ''}`;
}

/** Compiles the plan, picks the samples (real images when public/data has them) and writes the bundle. */
export function prepare(c: FirmwareCase, dir: string): Prepared {
  const board = BOARDS.find((b) => b.id === c.board)!;
  // the default weights, as the page and `tinytrain firmware` use them: the pretrained backbone, fresh classifier
  const model = modelWithWeights(weightsChoice({}, c.model as ModelName), {
    model: c.model as ModelName,
    resolution: c.resolution,
    classes: c.classes,
    seed: c.settings.seed,
  });
  const plan = compile(c.requant ? { ...model, requant: c.requant } : model, c.scheme);
  const count = defaultSampleCount(plan.input.bytes);
  const real = datasetSamples('fashion-mnist', count, c.resolution, model.inChannels, c.classes);
  const samples = real?.samples ?? syntheticSamples(plan.input, c.classes, count);
  const bundle = generateFirmware(plan, {
    board,
    settings: c.settings,
    kernelSources: readKernelSources(),
    labels: c.labels ?? real?.classNames,
    samples,
    steps: c.steps,
  });
  writeBundle(dir, bundle.files);
  return { c, dir, plan, bundle, samples };
}

export interface CommandResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  code: number;
  ms: number;
}

/** Runs a command; never throws (the result says how it ended). */
export async function run(cmd: string, args: string[], cwd: string, timeoutMs = 600_000): Promise<CommandResult> {
  const t0 = performance.now();
  try {
    const r = await exec(cmd, args, { cwd, timeout: timeoutMs, maxBuffer: 64 << 20 });
    return { ok: true, stdout: r.stdout, stderr: r.stderr, code: 0, ms: performance.now() - t0 };
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; code?: number };
    return {
      ok: false,
      stdout: x.stdout ?? '',
      stderr: x.stderr ?? String(e),
      code: typeof x.code === 'number' ? x.code : -1,
      ms: performance.now() - t0,
    };
  }
}

export const make = (dir: string, ...targets: string[]) => run('make', ['-s', ...targets], dir);

export const runHost = (dir: string) => run(join(dir, 'build/host/tinytrain'), [], dir);

/** The MCU build under QEMU, wrapped in `timeout` (a fault that loops would otherwise hang the test). */
export const runQemu = (dir: string, seconds = 300) =>
  run(
    'timeout',
    [
      String(seconds),
      'qemu-system-arm',
      '-M',
      'mps2-an500',
      '-nographic',
      '-monitor',
      'none',
      '-semihosting-config',
      'enable=on,target=native',
      '-kernel',
      'build/mcu/tinytrain.elf',
    ],
    dir,
    (seconds + 10) * 1000,
  );

export interface ElfSizes {
  text: number;
  exidx: number;
  data: number;
  bss: number;
  heap: number;
  stack: number;
  /** Flash image: .text + .ARM.exidx + the .data load image. */
  flash: number;
  /** SRAM: .data + .bss + .heap + .stack. */
  sram: number;
}

/** Section sizes of an ELF (arm-none-eabi-size -A). */
export async function elfSizes(elf: string): Promise<ElfSizes> {
  const r = await run('arm-none-eabi-size', ['-A', elf], '.');
  if (!r.ok) throw new Error(`arm-none-eabi-size failed: ${r.stderr}`);
  const sec = (name: string) => Number(new RegExp(`^\\${name}\\s+(\\d+)`, 'm').exec(r.stdout)?.[1] ?? 0);
  const s = {
    text: sec('.text'),
    exidx: sec('.ARM.exidx'),
    data: sec('.data'),
    bss: sec('.bss'),
    heap: sec('.heap'),
    stack: sec('.stack'),
  };
  return { ...s, flash: s.text + s.exidx + s.data, sram: s.data + s.bss + s.heap + s.stack };
}

/** Runs async jobs with at most `width` at a time, keeping their order in the result. */
export async function pool<T, R>(items: readonly T[], width: number, job: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await job(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}
