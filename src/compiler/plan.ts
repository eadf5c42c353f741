/**
 * The training plan: the one artefact the compiler hands to everyone else. A plan is an ordered list of
 * kernel calls (the C kernels of kernels-c/include/tt_kernels.h, by their C names) whose pointer arguments
 * are byte offsets into ONE static arena or references to constants. The web worker resolves every argument
 * to a WebAssembly pointer/number and calls the export of that name; the firmware generator prints each step
 * as a C call; the TypeScript interpreter (interpret.ts) calls the reference kernels.
 *
 * Run-time knobs need no recompilation:
 *  - learning rate: every `{ kind: 'lr' }` argument is the current learning rate (a float32).
 *  - rounding mode (tt_rounding): every `{ kind: 'rounding' }` argument is the mode (i32), AND word
 *    UPDATE_PARAMS_ROUNDING_WORD (5, the `rounding` field) of every const whose `struct` is
 *    'tt_update_params' must be overwritten with the mode before the steps run (the worker patches its copy in
 *    WebAssembly memory; the firmware generator bakes the mode into the struct initializer).
 *  - QAS on/off: a `{ kind: 'gscale', qas, plain }` argument is a choice between two float32 consts:
 *    `qas` holds 1/s_W (weights) or 1/(s_W*s_x) (biases), `plain` holds s_W or s_W*s_x. Pass the const of the
 *    selected mode.
 *  - stochastic-rounding seed: `{ kind: 'rng' }` is a pointer to the one tt_rng state, owned by the executor
 *    (seed it with a non-zero uint32; it advances across steps).
 *  - the label: `{ kind: 'label' }` is the class index (i32) of the current example, for tt_softmax_xent_s8.
 * The input image is written (int8, HWC, quantized with `input.scale/zeroPoint`) into the arena at
 * `input.offset` before step 0; the loss is the return value of the step with `returns: 'loss'`; the logits
 * stay readable at `logits.offset` after the last step.
 *
 * Memory: training and inference sub-plans share one arena of `arenaBytes` (each sub-plan has its own
 * offsets). Consts with storage 'sram' (trainable weights/biases) are mutated in place by update kernels;
 * consts with storage 'flash' are read-only. Const data arrays alias the model's arrays (never copied by the
 * compiler), except the head and tail of a split weight (`splitWeights`), fresh copies of the model weight's
 * columns made once per compilation: an executor that must not mutate the model copies the 'sram' consts first.
 */
import type { KernelName } from './kernels';

export type { KernelName } from './kernels';

export type Phase = 'forward' | 'backward' | 'update';

/** One argument of a kernel call, in the C argument order of the kernel. */
export type PlanArg =
  /** A region of the arena: byte `offset` from the arena base, `bytes` long, inside buffer `buffer`. */
  | { kind: 'arena'; offset: number; bytes: number; buffer: number }
  /** A pointer to const `id` (plan.consts[id]): weights, biases, float vectors, parameter structs. */
  | { kind: 'const'; id: number }
  /** A by-value int32. */
  | { kind: 'i32'; value: number }
  /** A by-value float32 (already Math.fround-ed). */
  | { kind: 'f32'; value: number }
  /** A NULL pointer. */
  | { kind: 'null' }
  /** The learning rate (float32), supplied at run time. */
  | { kind: 'lr' }
  /** Pointer to the executor's tt_rng state. */
  | { kind: 'rng' }
  /** The tt_rounding mode (int32), supplied at run time. */
  | { kind: 'rounding' }
  /** The label (int32) of the current example. */
  | { kind: 'label' }
  /** QAS switch: pointer to const `qas` when QAS is on, const `plain` when off (both float32 per channel). */
  | { kind: 'gscale'; qas: number; plain: number };

/** One kernel call. */
export interface PlanStep {
  /** C name of the kernel (tt_kernels.h); the worker calls the WebAssembly export of this name. */
  kernel: KernelName;
  args: PlanArg[];
  /** Name of the IR op this call lowers, for humans: a layer ('blocks.3.pw1'), a fused group
   * ('first_conv+blocks.0'), a slice ('blocks.11.add:out[:12]'). Not to be parsed: see `layer`. */
  op: string;
  /** The model layer (a `layers` row's name) whose computation this call is part of, set by lowering from the IR
   * op's layer (a fused chain: the stage's); null for calls of no layer (residual adds, the pool, the loss). */
  layer: string | null;
  /** Id of the IR op in the compiled graph (plan.graph ops). */
  opId: number;
  phase: Phase;
  /** Human-readable detail, e.g. 'rows 4..5' for a band of a fused block. */
  note?: string;
  /** The step's return value is the loss (tt_softmax_xent_s8). */
  returns?: 'loss';
  /** A call of a fused band chain (lower/fused-chain.ts): the chain is the run of consecutive steps with this
   * field and one opId; `stage` is the chain stage (an index) or 'add' (the residual add of a band), [r0, r1)
   * the rows it computes. Executors may run a chain by other bands (executor-chain.ts). */
  band?: PlanBand;
}

/** Chain membership of a plan step: see PlanStep.band. */
export interface PlanBand {
  stage: number | 'add';
  r0: number;
  r1: number;
}

/**
 * What an arena buffer holds, for the timeline and the memory breakdown.
 * input: the image; activation: forward tensors (and the rows of fused blocks' ring buffers) not kept for
 * backward; saved: forward tensors (or channel slices) kept for backward; mask: 1-bit clamp masks;
 * gradient: float32 gradients (activations, weights, biases); scratch: kernel scratch.
 */
export type BufferCategory = 'input' | 'activation' | 'saved' | 'mask' | 'gradient' | 'scratch';
export const BUFFER_CATEGORIES = ['input', 'activation', 'saved', 'mask', 'gradient', 'scratch'] as const;

export type PlanDType = 'int8' | 'uint8' | 'int32' | 'float32';

/** One arena buffer with its placement and lifetime (plan steps firstStep..lastStep inclusive). */
export interface PlanBuffer {
  id: number;
  name: string;
  /** Byte offset in the arena (a multiple of 16). */
  offset: number;
  /** Size in bytes (before alignment padding). */
  bytes: number;
  dtype: PlanDType;
  category: BufferCategory;
  firstStep: number;
  lastStep: number;
}

export type StructName = 'tt_conv_shape' | 'tt_quant' | 'tt_update_params';

/** Index of the `rounding` word in a tt_update_params const (patched at run time, see the header). */
export const UPDATE_PARAMS_ROUNDING_WORD = 5;

/** A constant tensor or parameter struct. */
export interface PlanConst {
  id: number;
  /** Unique, C-identifier-friendly after replacing '.' (e.g. 'blocks.3.pw1.weight'). */
  name: string;
  dtype: PlanDType;
  /** Int32Array words for a struct, in the field order of kernel-abi.ts. */
  struct?: StructName;
  /** 'sram': trainable, mutated by update kernels. 'flash': read-only. */
  storage: 'flash' | 'sram';
  data: Int8Array | Int32Array | Float32Array;
}

/** Where the executor writes the input image and reads the logits. */
export interface PlanIo {
  buffer: number;
  offset: number;
  bytes: number;
  /** HWC shape (input) or [classes] (logits). */
  shape: number[];
  scale: number;
  zeroPoint: number;
}

/** A list of steps with its own buffer placement inside the shared arena. */
export interface SubPlan {
  steps: PlanStep[];
  buffers: PlanBuffer[];
  /** Bytes of the arena this sub-plan uses (<= plan.arenaBytes). */
  arenaBytes: number;
  input: PlanIo;
  logits: PlanIo;
}

/** The numbers the UI draws and the CLI prints. */
export interface PlanMetrics {
  /** Every working buffer of the training step: image, activations, saved tensors, masks, gradients, scratch. */
  arenaBytes: number;
  /** Updated weights and biases + the rng state. A partially updated pointwise / fc weight counts only its
   * updated head when stored split (options.split), else the whole tensor (the kernels read it as one array). */
  trainableSramBytes: number;
  /** arenaBytes + trainableSramBytes. */
  peakSramBytes: number;
  /** Frozen weights and biases (split weights' tails included), multipliers, scales, gscales, parameter structs. */
  flashBytes: number;
  planSteps: number;
  inferenceSteps: number;
  inferenceArenaBytes: number;
  compileMs: number;
  /** The paper's budget estimate: updated weight elements (partial ratios counted) + biases + saved inputs. */
  paperBudgetBytes: number;
  /** Peak over the training steps of the live bytes of each category. */
  peakByCategory: Record<BufferCategory, number>;
  forwardMacs: number;
  fusedBlocks: number;
}

/** Live bytes per category at one step (buffers live at that step), plus the constant trainable weights. */
export interface TimelinePoint {
  step: number;
  phase: Phase;
  bytes: Record<BufferCategory | 'trainable', number>;
  total: number;
}

/** What happens to one conv (or the classifier) in this plan, for the UI's per-layer table. */
export interface PlanLayer {
  /** Conv index (0..count-1); the classifier is -1. */
  index: number;
  name: string;
  kind: 'conv' | 'pointwise' | 'depthwise' | 'fc';
  inC: number;
  outC: number;
  kernel: number;
  stride: number;
  inH: number;
  outH: number;
  macs: number;
  weightBytes: number;
  biasBytes: number;
  updateBias: boolean;
  /** Fraction of input channels whose weights are updated (0 = frozen). */
  weightRatio: number;
  /** Number of input channels (depthwise: channels) updated. */
  weightChannels: number;
  /** Whether the weight is stored split: the updated head [outC][weightChannels] in SRAM, the tail in flash. */
  split: boolean;
  /** Bytes of the weight kept in SRAM: the head when split, the whole tensor when updated whole, 0 when frozen.
   * The rest (weightBytes - sramWeightBytes) stays in flash. */
  sramWeightBytes: number;
  /** Bytes of input activation saved for this layer's weight gradient. */
  savedBytes: number;
  /** Whether a gradient flows through this layer's output. */
  gradient: boolean;
  /** Whether the layer runs inside a fused band-by-band block. */
  fused: boolean;
}

export interface PlanOptions {
  reorder: boolean;
  fusion: boolean;
  /** Store partially updated pointwise / fc weights split (trainable head in SRAM, frozen tail in flash) where
   * that lowers the peak; `splitWeights` lists the ones that are. */
  split: boolean;
}

/**
 * A weight stored split (options.split): const `head` holds columns [0, k) of each of its `rows` rows (trainable,
 * SRAM), const `tail` columns [k, cols) (flash). The weight [rows][cols] is their per-row concatenation
 * (tt_concat_channels_s8), which the plan assembles into arena scratch before each kernel that reads it whole.
 */
export interface SplitWeight {
  /** The weight's name in the model, e.g. 'blocks.12.pw1.weight'. */
  name: string;
  /** Conv index of its layer. */
  layer: number;
  rows: number;
  cols: number;
  k: number;
  head: number;
  tail: number;
}

export interface TrainingPlan extends SubPlan {
  format: 'tinytrain-plan';
  version: 1;
  model: { name: string; resolution: number; inChannels: number; classes: number };
  /** Canonical text form of the scheme (scheme.ts). */
  scheme: string;
  options: PlanOptions;
  /** Size of the one arena: max of the training and the inference sub-plans. */
  arenaBytes: number;
  consts: PlanConst[];
  /** The weights stored split as a trainable head and a frozen tail (empty unless options.split). */
  splitWeights: SplitWeight[];
  /** Forward only, no masks or saved tensors, every block fused: evaluation. Returns the loss too. */
  inference: SubPlan;
  metrics: PlanMetrics;
  timeline: TimelinePoint[];
  layers: PlanLayer[];
}
