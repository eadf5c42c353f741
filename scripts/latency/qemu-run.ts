/**
 * One measurement: a plan's firmware built with the profile hook (generateFirmware's `profile`), its main
 * replaced by profile-main.ts, `make mcu`, run under `qemu-system-arm -M mps2-an500 -icount shift=0`, and its
 * output parsed into instructions per plan step.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateFirmware, syntheticSamples } from '../../src/compiler/codegen';
import { compile } from '../../src/compiler/compile';
import type { ModelName } from '../../src/compiler/models/arch';
import type { PlanOptions, TrainingPlan } from '../../src/compiler/plan';
import { BOARDS } from '../../src/compiler/boards';
import { readKernelSources, writeBundle } from '../../src/cli/firmware-io';
import { modelWithWeights, weightsChoice } from '../../src/cli/weights';
import { make } from '../firmware/harness';
import { profileMain } from './profile-main';

export interface Case {
  model: ModelName;
  resolution: number;
  scheme: string;
  classes: number;
  /** Plan options (e.g. { reorder: false }: separate weight-gradient and update kernels). */
  options?: Partial<PlanOptions>;
}

export interface Measured {
  case: Case;
  plan: TrainingPlan;
  /** Instructions per tick of SysTick (from the spin loop). */
  instrPerTick: number;
  /** Ticks of one empty mark (subtracted from each step). */
  hookTicks: number;
  /** Instructions of each plan step (mark cost removed), of the last repetition. */
  steps: number[];
  /** Instructions of tt_train_step, start to end (marks removed). */
  total: number;
  /** QEMU's output as printed. */
  raw: string;
}

export const caseName = (c: Case) =>
  `${c.model}@${c.resolution} ${c.scheme}${Object.entries(c.options ?? {})
    .map(([k, v]) => ` ${k}=${v}`)
    .join('')}`;

export function buildPlan(c: Case): TrainingPlan {
  const model = modelWithWeights(weightsChoice({}, c.model), {
    model: c.model,
    resolution: c.resolution,
    classes: c.classes,
    seed: 1,
  });
  return compile(model, c.scheme, c.options);
}

/** Parses the measurement build's output (profile-main.ts). */
export function parseProfile(raw: string, planSteps: number): Omit<Measured, 'case' | 'plan' | 'raw'> {
  const num = (re: RegExp) => {
    const m = re.exec(raw);
    if (!m) throw new Error(`measurement output lacks ${re}`);
    return m.slice(1).map(Number);
  };
  const [spinInstr, spinTicks] = num(/^spin (\d+) ticks (\d+)$/m);
  const [hooks, hookTotal] = num(/^hook (\d+) ticks (\d+)$/m);
  const instrPerTick = spinInstr / spinTicks;
  const hookTicks = hookTotal / hooks;
  const reps = [...raw.matchAll(/^train (\d+) total (\d+) loss_ok (\d)$/gm)];
  if (!reps.length || reps.some((r) => r[3] !== '1')) throw new Error('a training step failed (loss not finite)');
  const lines = [...raw.matchAll(/^step (\d+) (\d+)$/gm)].slice(-planSteps);
  if (lines.length !== planSteps) throw new Error(`expected ${planSteps} step lines, got ${lines.length}`);
  const steps = lines.map((m) => Math.max(0, Number(m[2]) - hookTicks) * instrPerTick);
  const lastTotal = Number(reps[reps.length - 1][2]);
  // the marks: one before the first step and one after each step
  const total = Math.max(0, lastTotal - (planSteps + 1) * hookTicks) * instrPerTick;
  return { instrPerTick, hookTicks, steps, total };
}

/**
 * QEMU with its stdout on a file, not a pipe: QEMU puts its stdio in non-blocking mode, and semihosting output
 * written into a full pipe is dropped (lines went missing at random when read through one).
 */
async function qemuToFile(
  args: string[],
  dir: string,
): Promise<{ ok: boolean; code: number; stdout: string; stderr: string }> {
  const path = join(dir, 'qemu-output.txt');
  const fd = openSync(path, 'w');
  try {
    const p = spawn('timeout', ['600', 'qemu-system-arm', ...args], { cwd: dir, stdio: ['ignore', fd, 'pipe'] });
    let stderr = '';
    p.stderr?.on('data', (d) => (stderr += d));
    const code: number = await new Promise((res) => p.on('close', (c) => res(c ?? -1)));
    return { ok: code === 0, code, stdout: readFileSync(path, 'utf8'), stderr };
  } finally {
    closeSync(fd);
  }
}

/** Builds and runs one case in `dir` (a fresh folder per case). */
export async function measure(c: Case, dir: string, reps = 2): Promise<Measured> {
  const plan = buildPlan(c);
  const board = BOARDS.find((b) => b.id === 'stm32f746')!;
  const bundle = generateFirmware(plan, {
    board,
    settings: { lr: 0.01, rounding: 'nearest', qas: true, seed: 1 },
    kernelSources: readKernelSources(),
    samples: syntheticSamples(plan.input, c.classes, 2),
    steps: 1,
    profile: true,
  });
  mkdirSync(dir, { recursive: true });
  writeBundle(dir, bundle.files);
  writeFileSync(join(dir, 'mcu', 'main_mcu.c'), profileMain(plan.steps.length, reps));
  const built = await make(dir, 'mcu');
  if (!built.ok) throw new Error(`${caseName(c)}: make mcu failed\n${built.stderr.slice(-2000)}`);
  const q = await qemuToFile(
    [
      '-M',
      'mps2-an500',
      '-icount',
      'shift=0',
      '-nographic',
      '-monitor',
      'none',
      '-semihosting-config',
      'enable=on,target=native',
      '-kernel',
      'build/mcu/tinytrain.elf',
    ],
    dir,
  );
  if (!q.ok) throw new Error(`${caseName(c)}: QEMU failed (${q.code})\n${q.stdout.slice(-500)}${q.stderr.slice(-500)}`);
  return { case: c, plan, raw: q.stdout, ...parseProfile(q.stdout, plan.steps.length) };
}
