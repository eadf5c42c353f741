/**
 * The firmware bundles the end-to-end test builds and docs/firmware.md tabulates: each backbone with its
 * smallest and largest published scheme at 128x128 (3 training steps: QEMU is slow), the small CNN (10 steps,
 * hostile class labels), every rounding mode, QAS on and off; plus one plan too big for its board.
 */
import type { FirmwareCase } from './harness';

export const HOSTILE_LABEL = '"; system("rm -rf /"); //';

const settings = (rounding: 'truncate' | 'nearest' | 'stochastic', qas = true) => ({
  lr: 0.01,
  rounding,
  qas,
  seed: 7,
});
const backbone = (model: string, scheme: string, s: FirmwareCase['settings'], steps = 3): FirmwareCase => ({
  model,
  resolution: 128,
  scheme,
  board: 'stm32f746',
  classes: 10,
  steps,
  settings: s,
  learns: steps >= 10,
});
/** The page's and the CLI's defaults: learning rate 0.01, nearest rounding, QAS, seed 1, 10 demo steps. */
const DEFAULTS = { lr: 0.01, rounding: 'nearest' as const, qas: true, seed: 1 };

export const CASES: FirmwareCase[] = [
  {
    model: 'tiny-cnn',
    resolution: 32,
    scheme: 'last:4',
    board: 'stm32f746',
    classes: 4,
    steps: 10,
    settings: settings('stochastic'),
    labels: [HOSTILE_LABEL, 'naïve */ ??/', 'cat', 'dog'],
    learns: true,
  },
  backbone('mcunet-5fps', 'paper:49kb', DEFAULTS, 10),
  backbone('mcunet-5fps', 'paper:148kb', settings('stochastic')),
  backbone('mbv2-w0.35', 'paper:49kb', DEFAULTS, 10),
  backbone('mbv2-w0.35', 'paper:73kb', settings('truncate', false)),
  backbone('mbv2-w0.35', 'paper:138kb', settings('nearest')),
  backbone('proxyless-w0.3', 'paper:49kb', DEFAULTS, 10),
  backbone('proxyless-w0.3', 'paper:74kb', settings('stochastic')),
  backbone('proxyless-w0.3', 'paper:148kb', settings('truncate')),
  // the requantization modes of imported models: TFLite fixed point (integer only) and float half to even
  { ...backbone('mcunet-5fps', 'paper:49kb', settings('nearest')), requant: 'tflite-fixed' },
  { ...backbone('mcunet-5fps', 'paper:49kb', settings('stochastic')), requant: 'float-half-even' },
  { ...backbone('tiny-cnn', 'last:4', settings('nearest')), resolution: 32, classes: 4, requant: 'tflite-fixed' },
];

export const TOO_BIG: FirmwareCase = {
  ...backbone('mcunet-5fps', 'paper:148kb', settings('nearest')),
  board: 'stm32f411',
};
