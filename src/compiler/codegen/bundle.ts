/**
 * generateFirmware(plan, options): the whole firmware bundle as a map of relative path -> file text. Pure
 * TypeScript (no DOM, no Node APIs): the page zips it in the browser (zip.ts), the CLI writes it to a folder.
 * The kernels' sources are an input (the browser imports them with Vite, the CLI reads kernels-c/ from disk),
 * so the bundle always carries the very kernels the playground's WebAssembly module was built from.
 *
 *   README.md, Makefile
 *   model/   tt_model.h, tt_model.c, tt_model_data.h, tt_model_data.c   (emit-model.ts)
 *   app/     tt_samples.{h,c}, tt_demo.{h,c}, main_host.c                 (emit-app.ts)
 *   mcu/     startup_cm7.c, main_mcu.c, tinytrain.ld                     (emit-mcu.ts)
 *   kernels/ include/tt_kernels.h, src/*.c, src/*.h                      (copied)
 */
import { rngState, type RunSettings } from '../settings';
import type { TrainingPlan } from '../plan';
import { fileSlug } from './c-syntax';
import { demoHeader, demoSource, hostMain, samplesHeader, samplesSource } from './emit-app';
import { makefile, readme, type BuildInfo, type BundleContents } from './emit-build';
import { linkerScript, mcuMain, startupSource } from './emit-mcu';
import { constNames, modelData, modelDataHeader, modelHeader, modelSource, type ModelTextOptions } from './emit-model';
import { firmwareFit, type FirmwareBoard, type FirmwareFit } from './fit';
import { defaultSampleCount, syntheticSamples, type FirmwareSample } from './samples';
import { checkPlanBounds } from '../kernel-bounds';

/** Kernel sources by path relative to kernels-c/ ('include/tt_kernels.h', 'src/tt_conv.c', ...). */
export type KernelSources = Record<string, string>;

export interface FirmwareOptions {
  board: FirmwareBoard;
  /** The run settings; the seed maps to the rng state exactly like the playground's executor (rngState). */
  settings: RunSettings;
  kernelSources: KernelSources;
  /** Class names (index = label); missing ones become 'class <i>'. Any text: it is escaped. */
  labels?: readonly string[];
  /** Experiment name, for comments and the demo's banner. Any text: it is escaped. */
  experiment?: string;
  /** Embedded samples (default: seeded synthetic ones, defaultSampleCount of them). */
  samples?: readonly FirmwareSample[];
  /** What the bundle carries (weights' origin and checksum, where the samples come from), for the README. */
  contents?: BundleContents;
  /** Training steps the demo runs (default 10). */
  steps?: number;
  stackBytes?: number;
  heapBytes?: number;
  /** Measurement build (latency model): tt_train_step calls tt_profile_step(i) after plan step i. */
  profile?: boolean;
}

export interface FirmwareBundle {
  /** Folder / zip name, e.g. 'tinytrain-mcunet-5fps-128-stm32f746'. */
  name: string;
  files: Record<string, string>;
  /** The layer of each line of the files that call kernels (model/tt_model.c), from the plan steps' `layer`. */
  lineLayers: Record<string, (string | null)[]>;
  fit: FirmwareFit;
}

export const DEFAULT_STACK_BYTES = 8 * 1024;
export const DEFAULT_HEAP_BYTES = 4 * 1024;

function checkKernels(k: KernelSources): void {
  if (!k['include/tt_kernels.h']) throw new Error('kernel sources: include/tt_kernels.h is missing');
  if (!Object.keys(k).some((p) => /^src\/[^/]+\.c$/.test(p))) throw new Error('kernel sources: no src/*.c');
  for (const p of Object.keys(k)) {
    if (!/^(include|src)\/[A-Za-z0-9_.-]+\.[ch]$/.test(p)) throw new Error(`kernel sources: unexpected path "${p}"`);
  }
}

/** Options with defaults filled in and checked. */
function resolve(plan: TrainingPlan, o: FirmwareOptions) {
  checkKernels(o.kernelSources);
  const steps = o.steps ?? 10;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  const samples = o.samples ?? syntheticSamples(plan.input, plan.model.classes, defaultSampleCount(plan.input.bytes));
  for (const s of samples) {
    if (!Number.isInteger(s.label) || s.label < 0 || s.label >= plan.model.classes)
      throw new Error(`sample label ${s.label} out of range`);
  }
  const { model } = plan;
  const name = `tinytrain-${fileSlug(model.name)}-${model.resolution}-${fileSlug(o.board.id)}`;
  const stackBytes = o.stackBytes ?? DEFAULT_STACK_BYTES;
  const heapBytes = o.heapBytes ?? DEFAULT_HEAP_BYTES;
  const info: BuildInfo = {
    bundleName: name,
    modelName: model.name,
    resolution: model.resolution,
    classes: model.classes,
    scheme: plan.scheme,
    boardName: o.board.name,
    boardCore: o.board.core,
    sramBytes: o.board.sramKb * 1024,
    flashBytes: o.board.flashKb * 1024,
    arenaBytes: plan.arenaBytes,
    trainableBytes: plan.consts.reduce((a, c) => a + (c.storage === 'sram' ? c.data.byteLength : 0), 0),
    stackBytes,
    steps,
    samples: samples.length,
    contents: o.contents,
    lr: o.settings.lr,
    rounding: o.settings.rounding,
    qas: o.settings.qas,
    seed: o.settings.seed,
  };
  const text: ModelTextOptions = {
    labels: o.labels ?? [],
    experiment: o.experiment ?? name,
    boardName: o.board.name,
    lr: o.settings.lr,
    rounding: o.settings.rounding,
    qas: o.settings.qas,
    rngState: rngState(o.settings.seed),
    profile: o.profile,
  };
  return { name, samples, info, text, heapBytes };
}

/** The firmware bundle of a training plan (see the module comment). */
export function generateFirmware(plan: TrainingPlan, o: FirmwareOptions): FirmwareBundle {
  // The executor refuses such a plan; firmware built from it would read and write outside its buffers on a device.
  const bad = checkPlanBounds(plan);
  if (bad.length > 0)
    throw new Error(`firmware refused: ${bad[0]}${bad.length > 1 ? ` (and ${bad.length - 1} more)` : ''}`);
  const { name, samples, info, text, heapBytes } = resolve(plan, o);
  const names = constNames(plan.consts);
  const sampleBytes = samples.length * plan.input.bytes;
  const fit = firmwareFit(plan, o.board, { qas: o.settings.qas, stackBytes: info.stackBytes, heapBytes, sampleBytes });
  const layout = { ...info, boardName: o.board.name, heapBytes, flashConstBytes: fit.flash.parts[0].bytes };
  const model = modelSource(plan, names, text);
  const files: Record<string, string> = {
    'README.md': readme(info),
    Makefile: makefile(info),
    'model/tt_model.h': modelHeader(plan, text),
    'model/tt_model_data.h': modelDataHeader(plan, names),
    'model/tt_model_data.c': modelData(plan, names, text),
    'model/tt_model.c': model.text,
    'app/tt_samples.h': samplesHeader(),
    'app/tt_samples.c': samplesSource(samples, plan.input.bytes),
    'app/tt_demo.h': demoHeader(),
    'app/tt_demo.c': demoSource(info.steps),
    'app/main_host.c': hostMain(),
    'mcu/startup_cm7.c': startupSource(),
    'mcu/main_mcu.c': mcuMain(),
    'mcu/tinytrain.ld': linkerScript(layout),
  };
  for (const [p, src] of Object.entries(o.kernelSources)) files[`kernels/${p}`] = src;
  return { name, files, lineLayers: { 'model/tt_model.c': model.lineLayers }, fit };
}
