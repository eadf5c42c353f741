import { describe, expect, it } from 'vitest';
import { archFor, makefile, readme } from './emit-build';
import type { BuildInfo } from './emit-build';

const base: BuildInfo = {
  bundleName: 'tinytrain-test',
  modelName: 'mcunet-5fps',
  resolution: 128,
  classes: 10,
  scheme: 'paper:148kb',
  boardName: 'STM32F746',
  boardCore: 'Cortex-M7 @ 216 MHz',
  sramBytes: 327680,
  flashBytes: 1048576,
  arenaBytes: 1000,
  trainableBytes: 100,
  stackBytes: 4096,
  steps: 4,
  samples: 8,
};
const board = (boardName: string, boardCore: string): BuildInfo => ({ ...base, boardName, boardCore });

describe('board-specific build text', () => {
  it('gives each Arm core its own -mcpu and the board its own memory map', () => {
    const nrf = readme(board('nRF52840', 'Cortex-M4F @ 64 MHz'));
    expect(nrf).toContain('make mcu MCU_ARCH="-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard"');
    expect(nrf).toContain('flash 0x00000000, RAM 0x20000000');
    expect(nrf).not.toContain('0x08000000');
    const pico = readme(board('RP2040', 'Cortex-M0+ @ 133 MHz'));
    expect(pico).toContain('-mcpu=cortex-m0plus');
    expect(pico).toContain('0x10000000');
    expect(makefile(board('RP2040', 'Cortex-M0+ @ 133 MHz'))).toContain('MCU_ARCH="-mcpu=cortex-m0plus');
    expect(readme(base)).toContain("STM32F746's addresses (flash 0x08000000, SRAM 0x20000000");
  });

  it('never tells a non-Arm board to build with an Arm -mcpu', () => {
    expect(archFor('Xtensa LX7 @ 240 MHz').flags).toBeNull();
    const esp = board('ESP32-S3', 'Xtensa LX7 @ 240 MHz');
    const text = readme(esp);
    const step0 = text.slice(text.indexOf('0. **The core.**'), text.indexOf('2. **The camera frame.**'));
    expect(step0).toContain('Xtensa LX7 @ 240 MHz core, not an Arm Cortex-M');
    expect(step0).toContain('vendor toolchain');
    expect(step0).not.toMatch(/MCU_ARCH|-mcpu|startup_cm7|0x0800/);
    const mk = makefile(esp);
    expect(mk).toContain('The ESP32-S3 is not an Arm core');
    expect(mk).not.toContain('For the board itself');
  });
});
