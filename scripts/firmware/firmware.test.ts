/**
 * Firmware end to end (issue #6): for each backbone with two published schemes (the smallest and the largest
 * budget, all at 128x128) and the small CNN, generate the bundle, build `make host` and `make mcu`
 * (-Wall -Wextra -Werror), run the host binary and the MCU ELF under qemu-system-arm -M mps2-an500, and require
 * both transcripts (every loss's float bits, the weight checksum, every prediction) to equal the WebAssembly
 * executor's in Node. Then: the ELF's sections against the planner and the fit report, the SMLAD path present and
 * equal to the portable loop, the small CNN rebuilt for Cortex-M4F / M0+ (soft float) / M7-SP giving the same
 * bits, a plan too big for its board failing the link with the linker script's message, and a hostile class
 * label printed back verbatim.
 * Cost: 3 training steps per backbone bundle, builds 2 at a time: about 1 to 1.5 minutes on 2 cores.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_SRAM_BYTES } from '../../src/compiler/codegen/fit';
import {
  caseName,
  elfSizes,
  make,
  pool,
  prepare,
  run,
  runHost,
  runQemu,
  type CommandResult,
  type ElfSizes,
  type FirmwareCase,
  type Prepared,
} from './harness';
import { CASES, HOSTILE_LABEL, TOO_BIG } from './cases';
import { transcriptOf, wasmTranscript } from './wasm-reference';

const HOSTILE = HOSTILE_LABEL;
/** Builds QEMU's Cortex-M7 can also run: ARMv7E-M with a single-precision FPU, and ARMv6-M with soft float. */
const OTHER_CORES = {
  m4f: '-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard',
  m0plus: '-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft',
  m7sp: '-mcpu=cortex-m7 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard',
};

interface Outcome {
  p: Prepared;
  build: CommandResult;
  host?: CommandResult;
  qemu?: CommandResult;
  sizes?: ElfSizes;
  expected: string[];
}

let root = '';
const outcomes = new Map<FirmwareCase, Outcome>();
let tooBig: { p: Prepared; build: CommandResult } | null = null;

async function runCase(c: FirmwareCase, i: number): Promise<Outcome> {
  const p = prepare(c, join(root, `case${i}`));
  const expected = await wasmTranscript(p.plan, p.samples, c.settings, c.steps);
  const build = await make(p.dir, 'host', 'mcu');
  if (!build.ok) return { p, build, expected };
  const [host, qemu] = [await runHost(p.dir), await runQemu(p.dir)];
  return { p, build, host, qemu, sizes: await elfSizes(join(p.dir, 'build/mcu/tinytrain.elf')), expected };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tinytrain-fw-'));
  const jobs: (() => Promise<void>)[] = [
    ...CASES.map((c, i) => async () => void outcomes.set(c, await runCase(c, i))),
    async () => {
      const p = prepare(TOO_BIG, join(root, 'too-big'));
      tooBig = { p, build: await make(p.dir, 'mcu') };
    },
  ];
  await pool(jobs, 2, (j) => j());
}, 900_000);

afterAll(() => {
  if (root && !process.env.TT_KEEP_FIRMWARE) rmSync(root, { recursive: true, force: true });
});

describe.each(CASES.map((c) => [caseName(c), c] as const))('firmware %s', (_, c) => {
  const o = () => outcomes.get(c)!;

  it('builds warning-free for the host and the Cortex-M7 (-Wall -Wextra -Werror)', () => {
    expect(o().build.stderr).not.toMatch(/warning|error/i);
    expect(o().build.ok, o().build.stderr).toBe(true);
  });

  it('trains exactly like the WebAssembly executor: same losses, weight checksum and predictions', () => {
    const { host, qemu, expected } = o();
    expect(expected.length).toBe(c.steps + 1 + 2 * o().p.samples.length);
    expect(host?.ok, host?.stderr).toBe(true);
    expect(transcriptOf(host!.stdout)).toEqual(expected);
    expect(qemu?.ok, `${qemu?.stderr}\n${qemu?.stdout}`).toBe(true);
    expect(transcriptOf(qemu!.stdout)).toEqual(expected);
  });

  it.runIf(c.learns)('the default bundle learns: the loss falls from the first to the last window of its demo', () => {
    const losses = transcriptOf(o().host!.stdout)
      .filter((l) => l.startsWith('train '))
      .map((l) => Number(/ loss 0x[0-9a-f]{8} (\S+)$/.exec(l)![1]));
    expect(losses.length).toBe(c.steps);
    const w = Math.max(2, Math.floor(c.steps / 3));
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    const first = mean(losses.slice(0, w));
    const last = mean(losses.slice(-w));
    console.log(`${caseName(c)}: demo loss ${first.toFixed(4)} (first ${w} steps) -> ${last.toFixed(4)} (last ${w})`);
    expect(last).toBeLessThan(first);
  });

  it('fits the board as the planner and the fit report predicted', () => {
    const { p, sizes, qemu } = o();
    const s = sizes!;
    const m = p.plan.metrics;
    // The planner's arena + trainable weights are the static SRAM data; the rest is newlib's and the model's small statics.
    expect(s.data + s.bss - m.peakSramBytes).toBeGreaterThanOrEqual(0);
    expect(s.data + s.bss - m.peakSramBytes).toBeLessThanOrEqual(RUNTIME_SRAM_BYTES);
    const fit = p.bundle.fit;
    expect(fit.fits).toBe(true);
    expect(s.sram).toBeLessThanOrEqual(fit.sram.total);
    expect(s.sram).toBeLessThanOrEqual(fit.sram.limit);
    expect(s.flash).toBeLessThanOrEqual(fit.flash.total);
    expect(fit.flash.total - s.flash).toBeLessThan(0.05 * s.flash + 4096);
    const used = Number(/stack used (\d+) bytes/.exec(qemu!.stdout)?.[1]);
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan(s.stack);
  });
});

describe('firmware extras', () => {
  it('prints a hostile class label back verbatim from compiling C', () => {
    const o = outcomes.get(CASES[0])!;
    expect(o.host!.stdout).toContain(`class 0: ${HOSTILE}\n`);
    expect(o.qemu!.stdout).toContain(`class 1: naïve */ ??/\n`);
  });

  it('uses SMLAD in the MCU build, and SMLAD dot products equal the portable loop', async () => {
    const o = outcomes.get(CASES[1])!;
    const dis = await run('arm-none-eabi-objdump', ['-d', 'build/mcu/tinytrain.elf'], o.p.dir);
    expect(dis.stdout).toMatch(/\bsmlad\b/);
    const elf = join(root, 'dsp-check.elf');
    const flags = [
      '-std=c11',
      '-O2',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-ffp-contract=off',
      '-mcpu=cortex-m7',
      '-mthumb',
      '-mfpu=fpv5-d16',
      '-mfloat-abi=hard',
    ];
    const build = await run(
      'arm-none-eabi-gcc',
      [
        ...flags,
        '-Ikernels/src',
        '-nostartfiles',
        '-T',
        'mcu/tinytrain.ld',
        '--specs=nano.specs',
        '--specs=rdimon.specs',
        join(new URL('.', import.meta.url).pathname, 'dsp-check.c'),
        'mcu/startup_cm7.c',
        '-o',
        elf,
      ],
      o.p.dir,
    );
    expect(build.ok, build.stderr).toBe(true);
    const r = await run(
      'timeout',
      [
        '60',
        'qemu-system-arm',
        '-M',
        'mps2-an500',
        '-nographic',
        '-monitor',
        'none',
        '-semihosting-config',
        'enable=on,target=native',
        '-kernel',
        elf,
      ],
      root,
    );
    expect(r.stdout).toMatch(/dsp dot products identical: \d+/);
    expect(r.ok).toBe(true);
  });

  it('other Cortex-M cores (M4F, M0+ soft float, M7 single-precision) compute the same bits', async () => {
    const o = outcomes.get(CASES[0])!;
    const dir = `${o.p.dir}-arch`;
    cpSync(o.p.dir, dir, { recursive: true });
    for (const arch of Object.values(OTHER_CORES)) {
      rmSync(join(dir, 'build/mcu'), { recursive: true, force: true });
      const b = await run('make', ['-s', 'mcu', `MCU_ARCH=${arch}`], dir);
      expect(b.ok, b.stderr).toBe(true);
      const q = await runQemu(dir);
      expect(transcriptOf(q.stdout), arch).toEqual(o.expected);
    }
  });

  it('the TFLite fixed-point mode runs integer-only forward kernels on a Cortex-M0+ (soft float) with the same bits', async () => {
    const o = outcomes.get(CASES.find((c) => c.model === 'tiny-cnn' && c.requant === 'tflite-fixed')!)!;
    const dir = `${o.p.dir}-m0plus`;
    cpSync(o.p.dir, dir, { recursive: true });
    rmSync(join(dir, 'build/mcu'), { recursive: true, force: true });
    const b = await run('make', ['-s', 'mcu', `MCU_ARCH=${OTHER_CORES.m0plus}`], dir);
    expect(b.ok, b.stderr).toBe(true);
    expect(transcriptOf((await runQemu(dir)).stdout)).toEqual(o.expected);
  });

  it('a plan too big for its board is reported before download and fails the link with a clear message', () => {
    const { p, build } = tooBig!;
    expect(p.bundle.fit.fits).toBe(false);
    expect(p.bundle.fit.problems.join('\n')).toMatch(/^SRAM: needs .* of the STM32F411's 128.0 KB/m);
    expect(build.ok).toBe(false);
    expect(build.stderr).toContain('TinyTrain: the training plan does not fit the SRAM of the STM32F411 (128 KB)');
    expect(build.stderr).toContain('TinyTrain: the firmware does not fit the flash of the STM32F411 (512 KB)');
  });
});
