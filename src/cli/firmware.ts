/**
 * `tinytrain firmware`: compile a training plan and write its firmware bundle (the same files the page zips):
 * model C, the kernels, a host and a Cortex-M7 demo, linker script capped at the board, Makefile, README.
 * Samples are real test images from public/data (resized and quantized by the runtime's code) unless
 * --dataset synthetic. The fit on the board is printed first; a bundle that does not fit is not written unless
 * --force (its MCU link would then fail with the linker script's message).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  bundleToZip,
  generateFirmware,
  syntheticSamples,
  defaultSampleCount,
  type FirmwareFit,
} from '../compiler/codegen';
import type { RoundingName } from '../compiler/kernel-abi';
import type { RunSettings } from '../compiler/settings';
import { MODEL_NAMES } from '../compiler/models/arch';
import { buildModel } from '../compiler/models/model';
import { compile } from '../compiler/compile';
import { BOARDS, BOARD_IDS, type BoardId } from '../state/boards';
import { intOption, UsageError, type CliIo, type Subcommand } from './command';
import { datasetSamples, loadModelFile, readKernelSources, writeBundle } from './firmware-io';

const USAGE = `usage: tinytrain firmware --model M [--resolution R] [--classes C] [--scheme S] --out DIR|FILE.zip [options]

  --model M         ${MODEL_NAMES.join(' | ')}
  --resolution R    input height = width (default: the model's)
  --classes C       number of classes (default 10)
  --scheme S        sparse-update scheme, as for \`tinytrain plan\` (default paper's largest, else last:4)
  --board B         ${BOARD_IDS.join(' | ')} (default stm32f746): caps the linker script
  --labels a,b,...  class names (any text; escaped in the C). Default: the dataset's, else "class i"
  --out DIR         write the bundle into DIR; a name ending in .zip writes one zip file instead
  --pretrained F    model file manifest F.json (blob F.bin beside it); default: seeded random weights
  --seed N          seed of the random weights and of stochastic rounding (default 1)
  --lr X            learning rate (default 0.01)
  --rounding R      truncate | nearest | stochastic (default nearest)
  --no-qas          plain SGD on the integers instead of quantization-aware scaling
  --steps N         training steps the demo runs (default 10)
  --samples N       embedded images (default: about 96 KB of them, 2..8)
  --dataset NAME    public/data dataset for the samples (default fashion-mnist), or "synthetic"
  --experiment S    experiment name shown by the demo
  --force           write the bundle even when it does not fit the board

example: tinytrain firmware --model mcunet-5fps --scheme paper:49kb --labels cat,dog --out fw/`;

const OPTIONS = {
  model: { type: 'string' },
  resolution: { type: 'string' },
  classes: { type: 'string' },
  scheme: { type: 'string' },
  board: { type: 'string' },
  labels: { type: 'string' },
  out: { type: 'string' },
  pretrained: { type: 'string' },
  seed: { type: 'string' },
  lr: { type: 'string' },
  rounding: { type: 'string' },
  'no-qas': { type: 'boolean' },
  steps: { type: 'string' },
  samples: { type: 'string' },
  dataset: { type: 'string' },
  experiment: { type: 'string' },
  force: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parse>;

function parse(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function settings(v: Values): RunSettings {
  const lr = v.lr === undefined ? 0.01 : Number(v.lr);
  if (!(lr > 0 && lr < 100)) throw new UsageError(`--lr must be a number in (0, 100), got "${v.lr}"`);
  const rounding = (v.rounding ?? 'nearest') as RoundingName;
  if (!['truncate', 'nearest', 'stochastic'].includes(rounding))
    throw new UsageError(`--rounding must be truncate, nearest or stochastic, got "${v.rounding}"`);
  return { lr, rounding, qas: !v['no-qas'], seed: intOption('seed', v.seed, 1, -2147483648, 2147483647) };
}

function defaultScheme(model: string): string {
  return model === 'tiny-cnn' ? 'last:4' : 'paper:49kb';
}

/** Fit report lines: one per memory, itemized. */
export function fitText(fit: FirmwareFit): string[] {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const line = (what: string, m: FirmwareFit['sram']) =>
    `${what.padEnd(6)} ${kb(m.total).padStart(9)} of ${kb(m.limit).padStart(9)} ${m.fits ? 'ok  ' : 'OVER'}  (${m.parts.map((p) => `${p.name} ${kb(p.bytes)}`).join(', ')})`;
  return [
    `board ${fit.board.name}: ${fit.fits ? 'fits' : 'does NOT fit'}`,
    line('SRAM', fit.sram),
    line('flash', fit.flash),
  ];
}

async function run(args: string[], io: CliIo): Promise<number> {
  const v = parse(args);
  if (!v.model) throw new UsageError('--model is required');
  if (!v.out) throw new UsageError('--out is required');
  const boardId = (v.board ?? 'stm32f746') as BoardId;
  const board = BOARDS.find((b) => b.id === boardId);
  if (!board) throw new UsageError(`--board must be one of ${BOARD_IDS.join(', ')}, got "${v.board}"`);
  const s = settings(v);
  const model = buildModel({
    model: v.model,
    resolution: v.resolution === undefined ? undefined : intOption('resolution', v.resolution, 0, 8, 224),
    classes: intOption('classes', v.classes, 10, 2, 1000),
    pretrained: v.pretrained ? loadModelFile(v.pretrained) : undefined,
    seed: s.seed,
  });
  const plan = compile(model, v.scheme ?? defaultScheme(model.name));
  const count = intOption('samples', v.samples, defaultSampleCount(plan.input.bytes), 1, 64);
  const dataset = v.dataset ?? 'fashion-mnist';
  const real =
    dataset === 'synthetic' ? null : datasetSamples(dataset, count, model.resolution, model.inChannels, model.classes);
  if (!real && v.dataset && dataset !== 'synthetic')
    throw new UsageError(`dataset "${dataset}" not found in public/data`);
  const labels =
    v.labels !== undefined
      ? v.labels.split(',')
      : real && real.classNames.length >= model.classes
        ? real.classNames
        : undefined;
  const bundle = generateFirmware(plan, {
    board,
    settings: s,
    kernelSources: readKernelSources(),
    labels,
    experiment: v.experiment,
    samples: real?.samples ?? syntheticSamples(plan.input, model.classes, count),
    steps: intOption('steps', v.steps, 10, 1, 100000),
  });
  io.out(
    `${bundle.name}: ${model.name} ${model.resolution}x${model.resolution}, scheme ${plan.scheme}, arena ${plan.arenaBytes} B`,
  );
  for (const l of fitText(bundle.fit)) io.out(l);
  if (!bundle.fit.fits && !v.force) {
    io.err(`tinytrain firmware: not written: ${bundle.fit.problems.join('; ')} (--force writes it anyway)`);
    return 1;
  }
  if (v.out.endsWith('.zip')) writeFileSync(v.out, bundleToZip(bundle.files, bundle.name));
  else writeBundle(v.out, bundle.files);
  io.out(
    `wrote ${Object.keys(bundle.files).length} files to ${v.out}${v.out.endsWith('.zip') ? '' : ' (make run-host, make run-qemu)'}`,
  );
  return 0;
}

export const firmwareCommand: Subcommand = {
  summary: 'write the firmware bundle (C for a host and a Cortex-M7 board) of a training plan',
  usage: USAGE,
  run,
};
