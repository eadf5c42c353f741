/**
 * The build files of a firmware bundle: the Makefile (make host, make mcu, make run-qemu, make size) and the
 * README that explains what each file is and how to port the bundle to a real board (where the camera frame
 * and the label go). Every build uses -ffp-contract=off and no fast-math (TOOLCHAIN.md): with the kernels'
 * fixed float operation order that keeps x86, WebAssembly and ARM results bit-identical.
 */
import { cComment } from './c-syntax';

/**
 * Compiler flags for a board's core (the board list's `core` text, e.g. 'Cortex-M4F @ 64 MHz'); `flags` is
 * null for a core that is not an Arm Cortex-M (arm-none-eabi-gcc cannot build for it).
 */
export function archFor(core: string | undefined): { flags: string | null; note: string } {
  const c = core ?? '';
  if (/Cortex-M7/.test(c))
    return {
      flags: '-mcpu=cortex-m7 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard',
      note: 'single-precision FPU, DSP (SMLAD)',
    };
  if (/Cortex-M4/.test(c))
    return {
      flags: '-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard',
      note: 'single-precision FPU, DSP (SMLAD)',
    };
  if (/Cortex-M33/.test(c))
    return {
      flags: '-mcpu=cortex-m33 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard',
      note: 'single-precision FPU, DSP (SMLAD)',
    };
  if (/Cortex-M0/.test(c))
    return {
      flags: '-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft',
      note: 'no FPU, no DSP: portable loops and software float (same bits, slower)',
    };
  return { flags: null, note: 'not an Arm Cortex-M' };
}

/** Where each Arm board puts flash and SRAM (README step 1); a board not listed uses its vendor's map. */
const MEMORY_MAP: Record<string, string> = {
  STM32F746: 'flash 0x08000000, SRAM 0x20000000; any SRAM region works, DTCM is fastest',
  STM32F411: 'flash 0x08000000, SRAM 0x20000000',
  STM32H743: 'flash 0x08000000, AXI SRAM 0x24000000; DTCM at 0x20000000 (128 KB) is fastest',
  nRF52840: 'flash 0x00000000, RAM 0x20000000',
  RP2040: 'flash 0x10000000 (execute-in-place, after the boot2 stage), SRAM 0x20000000',
};

/** README step 0: how to build for the board's own core. */
function coreStep(b: BuildInfo): string {
  const arch = archFor(b.boardCore);
  if (arch.flags)
    return `The ${b.boardName} has a ${b.boardCore} core: build for it with
   \`make mcu MCU_ARCH="${arch.flags}"\` (${arch.note}).`;
  return `The ${b.boardName} has a ${b.boardCore ?? 'non-Arm'} core, ${arch.note}: \`make mcu\` and
   \`make run-qemu\` only check the plan on QEMU's Cortex-M7. For the board, compile \`model/\`, \`app/\` and
   \`kernels/\` with its vendor toolchain (not \`mcu/\`), keeping \`-ffp-contract=off\` and no fast-math.`;
}

/** README step 1: start-up code and where the memory is. */
function memoryStep(b: BuildInfo): string {
  const map = MEMORY_MAP[b.boardName];
  if (!map || !archFor(b.boardCore).flags)
    return `Use your vendor's start-up code and linker script. The arena (\`.bss\`) and the trainable
   weights (\`.data\`) must be in internal RAM the core reaches with word and float loads; \`printf\` goes to
   the vendor's console (or remove the prints).`;
  return `Use your vendor's start-up file and linker script (clocks, vector table with
   your interrupts), or adapt \`mcu/startup_cm7.c\` and \`mcu/tinytrain.ld\`: put FLASH and RAM at the
   ${b.boardName}'s addresses (${map}). Keep the FPU enabled before any float code, keep
   \`-ffp-contract=off\` and no fast-math. The arena (\`.bss\`) and the trainable weights (\`.data\`) must be in
   RAM the core can reach with word and float loads.
   Drop \`--specs=rdimon.specs\` (semihosting) and retarget \`printf\` to a UART, or remove the prints.`;
}

/** What a bundle carries, in words, for its README (the page and the CLI fill it in). */
export interface BundleContents {
  /** Where the weights come from, e.g. 'pretrained backbone models/mcunet-5fps.bin (sha256 ...)'. */
  weights: string;
  /** weightsChecksum of the embedded model (FNV-1a over every weight and bias). */
  checksum: string;
  /** Where the embedded samples come from, e.g. '2 images of the MNIST test split'. */
  data: string;
}

export interface BuildInfo {
  bundleName: string;
  contents?: BundleContents;
  lr?: number;
  rounding?: string;
  qas?: boolean;
  seed?: number;
  modelName: string;
  resolution: number;
  classes: number;
  scheme: string;
  boardName: string;
  boardCore?: string;
  sramBytes: number;
  flashBytes: number;
  arenaBytes: number;
  trainableBytes: number;
  stackBytes: number;
  steps: number;
  samples: number;
}

/** The Makefile's line on building for the board's own core. */
function boardArchLine(b: BuildInfo): string {
  const flags = archFor(b.boardCore).flags;
  return flags
    ? `For the board itself: MCU_ARCH="${flags}" (README.md).`
    : `The ${cComment(b.boardName)} is not an Arm core: use its vendor toolchain (README.md, step 0).`;
}

export function makefile(b: BuildInfo): string {
  return `# Makefile - TinyTrain firmware for ${cComment(b.modelName)} (${b.resolution}x${b.resolution}, ${b.classes} classes), board ${cComment(b.boardName)}.
#   make host       desktop build with the host C compiler: build/host/tinytrain
#   make run-host   builds and runs it
#   make mcu        Cortex-M7 build for QEMU's mps2-an500, linked within the board's flash and SRAM
#   make run-qemu   builds and runs it in qemu-system-arm with semihosting (exit code = the demo's)
#   make size       section sizes of the MCU build
# Every build: -ffp-contract=off, no fast-math, so losses and weights match the playground bit for bit.

HOST_CC ?= cc
ARM_PREFIX ?= arm-none-eabi-
QEMU ?= qemu-system-arm
QEMU_TIMEOUT ?= 900

SRCS := $(sort $(wildcard kernels/src/*.c)) model/tt_model.c model/tt_model_data.c app/tt_samples.c app/tt_demo.c
HEADERS := $(wildcard kernels/include/*.h kernels/src/*.h model/*.h app/*.h)
CFLAGS := -std=c11 -O2 -Wall -Wextra -Werror -ffp-contract=off -fno-fast-math -fno-strict-aliasing \\
          -Ikernels/include -Imodel -Iapp
# QEMU's mps2-an500 core. ${boardArchLine(b)}
MCU_ARCH ?= -mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard
MCU_CFLAGS := $(CFLAGS) $(MCU_ARCH) -ffunction-sections -fdata-sections
MCU_LDFLAGS := $(MCU_ARCH) -nostartfiles -T mcu/tinytrain.ld --specs=nano.specs --specs=rdimon.specs \\
               -Wl,--gc-sections -Wl,-Map=build/mcu/tinytrain.map

HOST_OBJS := $(SRCS:%.c=build/host/%.o) build/host/app/main_host.o
MCU_OBJS := $(SRCS:%.c=build/mcu/%.o) build/mcu/mcu/main_mcu.o build/mcu/mcu/startup_cm7.o

.PHONY: all host mcu run-host run-qemu size clean
all: host mcu

host: build/host/tinytrain
mcu: build/mcu/tinytrain.elf

build/host/%.o: %.c $(HEADERS)
	@mkdir -p $(@D)
	$(HOST_CC) $(CFLAGS) -c -o $@ $<

build/host/tinytrain: $(HOST_OBJS)
	$(HOST_CC) -o $@ $^ -lm

build/mcu/%.o: %.c $(HEADERS)
	@mkdir -p $(@D)
	$(ARM_PREFIX)gcc $(MCU_CFLAGS) -c -o $@ $<

build/mcu/tinytrain.elf: $(MCU_OBJS) mcu/tinytrain.ld
	$(ARM_PREFIX)gcc $(MCU_LDFLAGS) -o $@ $(MCU_OBJS) -lm
	$(ARM_PREFIX)size $@

run-host: host
	./build/host/tinytrain

run-qemu: mcu
	timeout $(QEMU_TIMEOUT) $(QEMU) -M mps2-an500 -nographic -monitor none \\
	  -semihosting-config enable=on,target=native -kernel build/mcu/tinytrain.elf

size: mcu
	$(ARM_PREFIX)size -A build/mcu/tinytrain.elf

clean:
	rm -rf build
`;
}

/** The README's "What is inside" section. */
function contentsSection(b: BuildInfo): string {
  const c = b.contents;
  const rows = [
    ['model', `${b.modelName} at ${b.resolution}x${b.resolution}, ${b.classes} classes`],
    ['weights', c ? c.weights : 'as compiled (no origin given)'],
    [
      'weights checksum',
      c
        ? `\`${c.checksum}\` (FNV-1a over every int8 weight and int32 bias, frozen and trainable, forward order; ` +
          "the demo's `initial weights fnv1a` line hashes the trainable tensors only, so its value differs)"
        : '-',
    ],
    ['data', `${b.samples} embedded samples${c ? `: ${c.data}` : ''}`],
    ['scheme', `\`${b.scheme}\``],
    [
      'settings',
      b.lr === undefined
        ? '-'
        : `learning rate ${b.lr}, rounding ${b.rounding}, QAS ${b.qas ? 'on' : 'off'}, seed ${b.seed}`,
    ],
  ];
  return `## What is inside

| | |
|---|---|
${rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`).join('\n')}

`;
}

export function readme(b: BuildInfo): string {
  return `# ${b.bundleName}

On-device training firmware generated by TinyTrain Playground: **${b.modelName}** at ${b.resolution}x${b.resolution},
${b.classes} classes, sparse-update scheme \`${b.scheme}\`, sized for the **${b.boardName}**
(${b.sramBytes} bytes SRAM, ${b.flashBytes} bytes flash).

Every kernel call in \`model/tt_model.c\` is one step of the playground's training plan, on one static arena of
exactly ${b.arenaBytes} bytes; the ${b.trainableBytes} bytes of trainable weights and biases live beside it in
SRAM and are updated in place. Built with the same kernels and the same float rules, it computes the same
losses and weights as the playground, bit for bit.

${contentsSection(b)}## Build and run

    make run-host     # desktop: gcc or clang
    make run-qemu     # Cortex-M7 under qemu-system-arm -M mps2-an500 (arm-none-eabi-gcc, newlib, qemu)
    make size         # section sizes of the MCU build

The demo trains ${b.steps} steps on ${b.samples} embedded samples, printing each loss (as exact float bits and
as a decimal), then a checksum of the trained weights and a prediction for each sample. The MCU build also
prints its stack high-water mark (${b.stackBytes} bytes are reserved).

## Files

| file | what |
|---|---|
| \`model/tt_model.h\` | the API: \`tt_train_step\`, \`tt_infer\`, \`tt_train_input\`, input quantization, sizes |
| \`model/tt_model.c\` | the arena and the plan's steps as kernel calls (training and inference) |
| \`model/tt_model_data.c\` | frozen weights and scales (\`const\`, flash), trainable weights (SRAM) |
| \`kernels/\` | the TinyTrain kernels (portable C; int8 dot products use SMLAD where \`__ARM_FEATURE_DSP\`) |
| \`app/\` | the demo: embedded samples, training loop, host \`main\` |
| \`mcu/\` | Cortex-M7 start-up code, MCU \`main\`, linker script |

## Porting to a real board

0. **The core.** The MCU build targets QEMU's Cortex-M7 so \`make run-qemu\` works anywhere. ${coreStep(b)}
1. **Start-up and memory.** ${memoryStep(b)}
2. **The camera frame.** Resize or crop the frame to ${b.resolution}x${b.resolution} (\`TT_INPUT_C\` channels, HWC
   order; a gray model repeats the gray value in every channel) and store each pixel byte \`p\` as
   \`(int8_t)(p - 128)\`, exactly what the playground feeds the model (its real value is
   \`(q - TT_INPUT_ZERO_POINT) * TT_INPUT_SCALE\`). Write it straight into \`tt_train_input()\` (or
   \`tt_infer_input()\`): both lie inside the arena, so no extra image buffer is needed. Then pass that pointer.
3. **The label.** The label is the class index (\`0 .. TT_NUM_CLASSES-1\`, names in \`tt_class_labels\`): from
   a button, a second sensor or a host link. Call \`tt_train_step(tt_train_input(), label, TT_LEARNING_RATE)\`
   once per labelled frame; call \`tt_infer(tt_infer_input(), 0, NULL)\` to classify an unlabelled one.
4. **Keeping what was learned.** The trained weights are the non-const arrays of \`model/tt_model_data.c\`
   (\`TT_TRAINABLE_BYTES\` bytes): save them to flash or EEPROM to survive a reset.
5. **Settings.** \`-DTT_ROUNDING=0|1|2\` (truncate, nearest, stochastic), \`-DTT_QAS=0|1\`,
   \`-DTT_LEARNING_RATE=...\` override the experiment's settings without regenerating.
`;
}
