import { unzipSync, strFromU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readKernelSources } from '../../cli/firmware-io';
import { rngState } from '../settings';
import { compile } from '../compile';
import { buildModel } from '../models/model';
import type { TrainingPlan } from '../plan';
import { bundleToZip, firmwareFit, generateFirmware, type FirmwareOptions } from '.';
import { constNames } from './emit-model';
import { stepCalls } from './emit-steps';
import { foldCalls, unfold } from './fold';
import { loadKernelSources } from './kernel-sources.vite';

const F746 = { id: 'stm32f746', name: 'STM32F746', sramKb: 320, flashKb: 1024 };
const F411 = { id: 'stm32f411', name: 'STM32F411', sramKb: 128, flashKb: 512 };
const HOSTILE = '"; system("rm -rf /"); //';

const tinyPlan = () => compile(buildModel({ model: 'tiny-cnn', classes: 4 }), 'last:4');
const options = (o: Partial<FirmwareOptions> = {}): FirmwareOptions => ({
  board: F746,
  settings: { lr: 0.01, rounding: 'nearest', qas: true, seed: 3 },
  kernelSources: readKernelSources(),
  ...o,
});

describe('generateFirmware', () => {
  const plan = tinyPlan();
  const b = generateFirmware(plan, options({ labels: [HOSTILE, 'cat'], experiment: 'exp */ #include <x>' }));

  it('writes the whole bundle: model, app, MCU start-up, linker script, Makefile, README and the kernels', () => {
    for (const f of [
      'README.md',
      'Makefile',
      'model/tt_model.h',
      'model/tt_model.c',
      'model/tt_model_data.c',
      'app/tt_demo.c',
      'app/main_host.c',
      'mcu/startup_cm7.c',
      'mcu/main_mcu.c',
      'mcu/tinytrain.ld',
      'kernels/include/tt_kernels.h',
      'kernels/src/tt_conv.c',
      'kernels/src/tt_arm_dsp.h',
    ]) {
      expect(b.files[f], f).toBeTruthy();
    }
    expect(b.name).toBe('tinytrain-tiny-cnn-32-stm32f746');
    expect(b.files.Makefile).toMatch(/^host:/m);
    expect(b.files.Makefile).toMatch(/^mcu:/m);
    expect(b.files.Makefile).toMatch(/^run-qemu:/m);
    expect(b.files.Makefile).toContain('-ffp-contract=off');
  });

  it('declares one static arena of exactly the planned size and caps the linker script at the board', () => {
    expect(b.files['model/tt_model.h']).toContain(`#define TT_ARENA_BYTES ${plan.arenaBytes}\n`);
    expect(b.files['model/tt_model.c'].match(/static _Alignas\(16\) int8_t tt_arena\[TT_ARENA_BYTES\];/g)).toHaveLength(
      1,
    );
    expect(b.files['mcu/tinytrain.ld']).toContain(`LENGTH = ${1024 * 1024}`);
    expect(b.files['mcu/tinytrain.ld']).toContain(`LENGTH = ${320 * 1024}`);
    expect(b.files['mcu/tinytrain.ld']).toMatch(/ASSERT\(__ram_used <= LENGTH\(RAM\), "TinyTrain: .*STM32F746/);
  });

  it('puts frozen consts in flash (const) and trainable ones in SRAM (mutable)', () => {
    const data = b.files['model/tt_model_data.c'];
    const names = constNames(plan.consts);
    plan.consts.forEach((c, i) => {
      const decl = new RegExp(`^(const )?\\w+ ${names[i]}\\b`, 'm').exec(data);
      expect(decl, c.name).not.toBeNull();
      expect(decl![1] === 'const ', c.name).toBe(c.storage === 'flash');
    });
    expect(plan.consts.some((c) => c.storage === 'sram')).toBe(true);
  });

  it('prints every plan step once, in order (after loop folding)', () => {
    const names = constNames(plan.consts);
    for (const [sub, lr] of [
      [plan, true],
      [plan.inference, false],
    ] as const) {
      const calls = stepCalls(sub, {
        consts: plan.consts,
        names,
        arenaBytes: plan.arenaBytes,
        provides: { lr, label: true },
      });
      const flat = unfold(foldCalls(calls));
      expect(flat.map((c) => c.kernel)).toEqual(sub.steps.map((s) => s.kernel));
    }
    const src = b.files['model/tt_model.c'];
    expect(src).toContain('loss = tt_softmax_xent_s8(');
    expect(src).toMatch(/for \(int32_t b = 0; b < \d+; b\+\+\) \{/);
  });

  it('turns hostile class labels and experiment names into inert string literals', () => {
    const all = Object.entries(b.files)
      .filter(([p]) => !p.startsWith('kernels/'))
      .map(([, t]) => t)
      .join('\n');
    expect(all).not.toContain(HOSTILE);
    expect(all).not.toContain('system("rm');
    expect(b.files['model/tt_model_data.c']).toContain('"\\042; system(\\042rm -rf /\\042); //"');
    expect(b.files['model/tt_model.h']).toContain('#define TT_EXPERIMENT "exp */ #include <x>"\n');
    expect(b.files['model/tt_model.h']).not.toMatch(/^\s*#include <x>/m);
  });

  it('bakes the run-time knobs: rounding into every update struct, QAS choice, the executor rng state', () => {
    expect(b.files['model/tt_model.h']).toContain('#define TT_ROUNDING 1\n');
    expect(b.files['model/tt_model.c']).toContain(`static tt_rng tt_rng_state = {${rngState(3)}u};`);
  });

  it('refuses plans the C would silently get wrong', () => {
    const broken: TrainingPlan = {
      ...plan,
      consts: plan.consts.map((c) => (c.storage === 'sram' ? { ...c, storage: 'flash' as const } : c)),
    };
    expect(() => generateFirmware(broken, options())).toThrow(/flash const/);
    const step = plan.steps.findIndex((s) => s.args.some((a) => a.kind === 'arena'));
    const outside: TrainingPlan = {
      ...plan,
      steps: plan.steps.map((s, i) =>
        i === step
          ? { ...s, args: s.args.map((a) => (a.kind === 'arena' ? { ...a, offset: plan.arenaBytes } : a)) }
          : s,
      ),
    };
    expect(() => generateFirmware(outside, options())).toThrow(
      /firmware refused: training step \d+ .*outside the \d+-byte arena/,
    );
    // inside the arena but smaller than the kernel reads: the same bounds the executor enforces
    const short: TrainingPlan = {
      ...plan,
      steps: plan.steps.map((s, i) =>
        i === step ? { ...s, args: s.args.map((a) => (a.kind === 'arena' ? { ...a, bytes: 16 } : a)) } : s,
      ),
    };
    expect(() => generateFirmware(short, options())).toThrow(/firmware refused: training step \d+ tt_/);
    expect(() => generateFirmware(plan, options({ kernelSources: { 'src/x.c': '' } }))).toThrow(/tt_kernels.h/);
  });
});

describe('firmwareFit', () => {
  it('itemizes SRAM and flash and says when a plan does not fit the board', () => {
    const plan = compile(buildModel({ model: 'mcunet-5fps', classes: 10 }), 'paper:49kb');
    const sizes = { qas: true, stackBytes: 8192, heapBytes: 4096, sampleBytes: 2 * plan.input.bytes };
    const ok = firmwareFit(plan, F746, sizes);
    expect(ok.fits).toBe(true);
    expect(ok.problems).toEqual([]);
    expect(ok.sram.parts.find((p) => p.name === 'arena')!.bytes).toBe(plan.arenaBytes);
    expect(ok.sram.total).toBe(ok.sram.parts.reduce((a, p) => a + p.bytes, 0));
    expect(ok.sram.total).toBeGreaterThan(plan.metrics.peakSramBytes);
    const small = firmwareFit(plan, F411, sizes);
    expect(small.fits).toBe(false);
    expect(small.sram.fits).toBe(false);
    expect(small.flash.fits).toBe(false);
    expect(small.problems.join('\n')).toMatch(/SRAM: needs [\d.]+ KB of the STM32F411's 128.0 KB \(arena/);
  });
});

describe('bundleToZip', () => {
  it('zips every file under the bundle folder, deterministically', () => {
    const files = { 'a/b.c': 'int x;\n', 'README.md': '# hi' };
    const z = bundleToZip(files, 'fw');
    const back = unzipSync(z);
    expect(Object.keys(back).sort()).toEqual(['fw/README.md', 'fw/a/b.c']);
    expect(strFromU8(back['fw/a/b.c'])).toBe('int x;\n');
    expect(Array.from(bundleToZip(files, 'fw'))).toEqual(Array.from(z));
    expect(() => bundleToZip({ '../evil': 'x' })).toThrow(/unsafe/);
  });
});

describe('kernel sources in the browser', () => {
  it('the Vite loader yields exactly the files the CLI reads from kernels-c/', async () => {
    expect(await loadKernelSources()).toEqual(readKernelSources());
  });
});

describe('firmwareZip (the page download)', () => {
  it('zips the generated bundle with the browser-loaded kernel sources', async () => {
    const { firmwareZip } = await import('./download');
    const plan = tinyPlan();
    const z = await firmwareZip(plan, { board: F746, settings: { lr: 0.01, rounding: 'nearest', qas: true, seed: 1 } });
    expect(z.fileName).toBe('tinytrain-tiny-cnn-32-stm32f746.zip');
    expect(z.fit.fits).toBe(true);
    const files = unzipSync(z.zip);
    expect(strFromU8(files['tinytrain-tiny-cnn-32-stm32f746/model/tt_model.h'])).toContain(
      `#define TT_ARENA_BYTES ${plan.arenaBytes}`,
    );
    expect(files['tinytrain-tiny-cnn-32-stm32f746/kernels/include/tt_kernels.h']).toBeTruthy();
  });
});
