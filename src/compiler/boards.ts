/**
 * Microcontroller boards the playground plans for: on-chip SRAM and the flash a typical board carries.
 * STM32F746 is the paper's board (320 KB SRAM, 1 MB flash; 256 KB is its headline budget).
 */

export interface Board {
  id: string;
  name: string;
  core: string;
  /** boards it ships on */
  note: string;
  sramKb: number;
  flashKb: number;
  /** Core clock (MHz) the latency estimate divides by: the core line's figure. */
  clockMhz: number;
}

export const BOARDS = [
  {
    id: 'stm32f746',
    name: 'STM32F746',
    core: 'Cortex-M7 @ 216 MHz',
    note: "the paper's board (Discovery kit)",
    sramKb: 320,
    flashKb: 1024,
    clockMhz: 216,
  },
  {
    id: 'nrf52840',
    name: 'nRF52840',
    core: 'Cortex-M4F @ 64 MHz',
    note: 'Arduino Nano 33 BLE',
    sramKb: 256,
    flashKb: 1024,
    clockMhz: 64,
  },
  {
    id: 'rp2040',
    name: 'RP2040',
    core: 'Cortex-M0+ @ 133 MHz',
    note: 'Raspberry Pi Pico (2 MB QSPI flash)',
    sramKb: 264,
    flashKb: 2048,
    clockMhz: 133,
  },
  {
    id: 'stm32f411',
    name: 'STM32F411',
    core: 'Cortex-M4F @ 100 MHz',
    note: 'Black Pill',
    sramKb: 128,
    flashKb: 512,
    clockMhz: 100,
  },
  {
    id: 'esp32s3',
    name: 'ESP32-S3',
    core: 'Xtensa LX7 @ 240 MHz',
    note: 'typical module with 8 MB flash',
    sramKb: 512,
    flashKb: 8192,
    clockMhz: 240,
  },
  {
    id: 'stm32h743',
    name: 'STM32H743',
    core: 'Cortex-M7 @ 480 MHz',
    note: 'Nucleo-H743ZI',
    sramKb: 1024,
    flashKb: 2048,
    clockMhz: 480,
  },
] as const satisfies readonly Board[];

export type BoardId = (typeof BOARDS)[number]['id'];
export const BOARD_IDS = BOARDS.map((b) => b.id) as BoardId[];

export function boardById(id: BoardId): Board {
  return BOARDS.find((b) => b.id === id) ?? BOARDS[0];
}
