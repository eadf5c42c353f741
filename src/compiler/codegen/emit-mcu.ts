/**
 * The MCU part of a firmware bundle, for QEMU's mps2-an500 (a Cortex-M7 with an FPv5 double-precision FPU):
 *   mcu/startup_cm7.c   vector table, reset handler (FPU on, .data copied, .bss zeroed, stack painted),
 *                       a HardFault handler that reports over semihosting and exits instead of hanging
 *   mcu/main_mcu.c      the demo, then the stack high-water mark
 *   mcu/tinytrain.ld    the linker script: mps2-an500's addresses (code at 0x0, SRAM at 0x20000000) with the
 *                       region sizes capped at the chosen board's flash and SRAM, and ASSERTs that fail the
 *                       link with a message naming the board and the plan's numbers when it does not fit
 * Output goes through newlib's semihosting (rdimon): QEMU prints it and returns main's exit code.
 */
import { cComment } from './c-syntax';

export interface McuLayout {
  boardName: string;
  flashBytes: number;
  sramBytes: number;
  stackBytes: number;
  heapBytes: number;
  /** Planned figures, quoted in the link-failure messages. */
  arenaBytes: number;
  trainableBytes: number;
  flashConstBytes: number;
}

const kb = (n: number) => `${Math.round((n / 1024) * 10) / 10} KB`;

/** A message for an ld ASSERT: a quoted string, so only characters ld's script lexer accepts plainly. */
function ldMessage(s: string): string {
  return `"${cComment(s, 300).replace(/["\\]/g, '')}"`;
}

export function linkerScript(l: McuLayout): string {
  const board = cComment(l.boardName, 60);
  const sramMsg = ldMessage(
    `TinyTrain: the training plan does not fit the SRAM of the ${board} (${kb(l.sramBytes)}): arena ${l.arenaBytes} B + ` +
      `trainable weights ${l.trainableBytes} B + stack ${l.stackBytes} B + heap ${l.heapBytes} B + runtime data. ` +
      `Choose a sparser scheme, a lower resolution or a board with more SRAM.`,
  );
  const flashMsg = ldMessage(
    `TinyTrain: the firmware does not fit the flash of the ${board} (${kb(l.flashBytes)}): constants ${l.flashConstBytes} B + ` +
      `trainable initial values ${l.trainableBytes} B + samples + code. Use fewer samples, a smaller model or a bigger board.`,
  );
  return `/*
 * tinytrain.ld - QEMU mps2-an500 memory map (code memory at 0x00000000, SRAM at 0x20000000) with the sizes capped
 * at the ${board}'s limits, so a build that links here also fits the board: flash ${l.flashBytes} bytes, SRAM
 * ${l.sramBytes} bytes. SRAM holds .data (trainable weights, copied from flash at reset), .bss (the arena),
 * the heap newlib's stdio needs, and the stack.
 */
MEMORY
{
  FLASH (rx) : ORIGIN = 0x00000000, LENGTH = ${l.flashBytes}
  RAM (rwx)  : ORIGIN = 0x20000000, LENGTH = ${l.sramBytes}
}

__stack_size = ${l.stackBytes};
__heap_size = ${l.heapBytes};

ENTRY(Reset_Handler)

SECTIONS
{
  .text :
  {
    KEEP(*(.vectors))
    *(.text*)
    *(.rodata*)
    . = ALIGN(4);
  } > FLASH

  .ARM.exidx : { *(.ARM.exidx* .gnu.linkonce.armexidx.*) } > FLASH

  _sidata = LOADADDR(.data);
  .data :
  {
    . = ALIGN(4);
    _sdata = .;
    *(.data*)
    . = ALIGN(4);
    _edata = .;
  } > RAM AT > FLASH

  .bss (NOLOAD) :
  {
    . = ALIGN(4);
    _sbss = .;
    *(.bss*)
    *(COMMON)
    . = ALIGN(4);
    _ebss = .;
  } > RAM

  .heap (NOLOAD) :
  {
    . = ALIGN(8);
    end = .;
    . += __heap_size;
    __heap_end = .;
  } > RAM

  .stack (NOLOAD) :
  {
    . = ALIGN(8);
    __stack_bottom = .;
    . += __stack_size;
    . = ALIGN(8);
    __stack_top = .;
  } > RAM

  __flash_used = _sidata + SIZEOF(.data) - ORIGIN(FLASH);
  __ram_used = __stack_top - ORIGIN(RAM);
  ASSERT(__ram_used <= LENGTH(RAM), ${sramMsg})
  ASSERT(__flash_used <= LENGTH(FLASH), ${flashMsg})
}
`;
}

export function startupSource(): string {
  return `/*
 * startup_cm7.c - reset and fault handling for the Cortex-M7 of QEMU's mps2-an500 (and, with its own vector
 * table and clock set-up, any Cortex-M board). Reset: enable the FPU (the kernels use hardware float), copy the
 * trainable weights' initial values from flash to SRAM, zero .bss (the arena), paint the stack so its high-water
 * mark can be measured, open the semihosting console, run main and exit with its return code.
 */
#include <stdint.h>
#include <stdlib.h>

#define STACK_PAINT 0x5AC4u
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, __stack_bottom, __stack_top;
extern int main(void);
extern void initialise_monitor_handles(void);

void Reset_Handler(void);
void Fault_Handler(void);
uint32_t tt_stack_used(void);

/* One semihosting call (BKPT 0xAB): r0 = operation, r1 = argument. */
static void semihost(uint32_t op, const void *arg) {
  register uint32_t r0 __asm("r0") = op;
  register const void *r1 __asm("r1") = arg;
  __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
}

void Reset_Handler(void) {
#if defined(__ARM_FP)
  SCB_CPACR |= 0xFu << 20; /* CP10 and CP11 full access: the FPU (absent on soft-float cores such as the M0+) */
  __asm volatile("dsb\\n\\tisb" ::: "memory");
#endif
  for (uint32_t *src = &_sidata, *dst = &_sdata; dst < &_edata;) *dst++ = *src++;
  for (uint32_t *dst = &_sbss; dst < &_ebss;) *dst++ = 0;
  uint32_t *sp;
  __asm volatile("mov %0, sp" : "=r"(sp));
  for (volatile uint32_t *p = &__stack_bottom; p < sp - 16;) *p++ = STACK_PAINT;
  initialise_monitor_handles();
  exit(main());
}

/* Bytes of stack ever used: from the top down to the lowest word that lost its paint. */
uint32_t tt_stack_used(void) {
  const uint32_t *p = &__stack_bottom;
  while (p < &__stack_top && *p == STACK_PAINT) p++;
  return (uint32_t)((uintptr_t)&__stack_top - (uintptr_t)p);
}

/* Any fault: say so on the semihosting console and stop QEMU with an error (instead of looping forever). */
void Fault_Handler(void) {
  semihost(0x04u, "tinytrain: fault (HardFault/MemManage/BusFault/UsageFault)\\n"); /* SYS_WRITE0 */
  semihost(0x18u, (const void *)0x20023u); /* SYS_EXIT, ADP_Stopped_RunTimeErrorUnknown */
  for (;;) {
  }
}

/* Cortex-M vector table: initial stack pointer, then the system exception handlers (no interrupts used). */
__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&__stack_top,
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
};
`;
}

export function mcuMain(): string {
  return `/* main_mcu.c - the demo on the Cortex-M7 (make mcu / make run-qemu), then the measured stack high-water mark. */
#include <inttypes.h>
#include <stdio.h>

#include "tt_demo.h"

extern uint32_t tt_stack_used(void);

int main(void) {
  int rc = tt_demo_run();
  printf("stack used %" PRIu32 " bytes\\n", tt_stack_used());
  return rc;
}
`;
}
