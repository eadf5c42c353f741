/**
 * One converter per supported TFLite builtin: reads its options table (schema defaults when absent), folds
 * attribute-like operands (reshape shape, pad paddings, mean axes) into the options and returns a typed OpDesc.
 */
import { ACTIVATION_NAMES, PADDING_VALID, SLOT, type SupportedBuiltin } from './tflite-schema';
import type { TfliteContext } from './tflite';
import { resolvePadding } from './check';
import type { Activation, OpDesc, OpKind, OpOptionsByKind, Padding } from './types';

export interface RawOp {
  index: number;
  builtin: SupportedBuiltin;
  inputs: number[];
  outputs: number[];
  optionsType: number;
  /** Position of the options table, null when the file left every option at its default. */
  options: number | null;
}

/** BuiltinOptions union member each op's options must be (0 = none). */
const OPTIONS_TYPE: Partial<Record<SupportedBuiltin, number>> = {
  CONV_2D: 1,
  DEPTHWISE_CONV_2D: 2,
  AVERAGE_POOL_2D: 5,
  MAX_POOL_2D: 5,
  FULLY_CONNECTED: 8,
  SOFTMAX: 9,
  ADD: 11,
  RESHAPE: 17,
  MEAN: 27,
};

type Converter = (ctx: TfliteContext, op: RawOp) => OpDesc;

function int(ctx: TfliteContext, op: RawOp, slot: number, dflt = 0): number {
  return op.options === null ? dflt : ctx.fb.int32(op.options, slot, dflt);
}

function activation(ctx: TfliteContext, op: RawOp, slot: number): Activation {
  const a = op.options === null ? 0 : ctx.fb.int8(op.options, slot);
  if (a === 0) return 'none';
  if (a === 1) return 'relu';
  if (a === 3) return 'relu6';
  return ctx.fail(
    'unsupported-op',
    `operator #${op.index} (${op.builtin}) has fused activation ${ACTIVATION_NAMES[a] ?? a}; supported: NONE, RELU, RELU6`,
  );
}

function padding(ctx: TfliteContext, op: RawOp): Padding {
  const p = op.options === null ? 0 : ctx.fb.int8(op.options, 0);
  return p === PADDING_VALID ? { kind: 'valid' } : { kind: 'same' };
}

function stride(ctx: TfliteContext, op: RawOp, slotW: number, slotH: number): [number, number] {
  const s: [number, number] = [int(ctx, op, slotH, 1), int(ctx, op, slotW, 1)];
  if (s.some((v) => v < 1)) ctx.fail('invalid', `operator #${op.index} (${op.builtin}) has stride [${s}]`);
  return s;
}

/** Builds the OpDesc, mapping TFLite tensor indices (-1 = optional, absent) to description ids. */
function make<K extends OpKind>(
  ctx: TfliteContext,
  op: RawOp,
  kind: K,
  dataInputs: number,
  options: OpOptionsByKind[K],
  required = dataInputs,
): OpDesc {
  const name = `#${op.index}`;
  if (op.inputs.length < required || op.outputs.length !== 1)
    ctx.fail(
      'invalid',
      `operator ${name} (${op.builtin}) has ${op.inputs.length} inputs and ${op.outputs.length} outputs`,
    );
  const inputs = Array.from({ length: dataInputs }, (_, k) => op.inputs[k] ?? -1).map((i) =>
    i < 0 ? null : ctx.tensor(i),
  );
  if (inputs.slice(0, required).some((i) => i === null))
    ctx.fail('invalid', `operator ${name} (${op.builtin}) lacks a required input`);
  const outputs = op.outputs.map((i) => ctx.tensor(i));
  return { kind, sourceOp: op.builtin, name, inputs, outputs, options } as OpDesc;
}

const S = SLOT;
const CONVERTERS: Record<SupportedBuiltin, Converter> = {
  CONV_2D: (ctx, op) => {
    const o = S.Conv2DOptions;
    return make(
      ctx,
      op,
      'conv2d',
      3,
      {
        stride: stride(ctx, op, o.strideW, o.strideH),
        padding: padding(ctx, op),
        dilation: [int(ctx, op, o.dilationH, 1), int(ctx, op, o.dilationW, 1)],
        activation: activation(ctx, op, o.activation),
        group: 1,
      },
      2,
    );
  },
  DEPTHWISE_CONV_2D: (ctx, op) => {
    const o = S.DepthwiseConv2DOptions;
    // depth_multiplier is redundant in the schema: the shapes decide (output channels / input channels).
    const inC = ctx.shapeOf(op.inputs[0]).at(-1) ?? 0;
    const outC = ctx.shapeOf(op.outputs[0]).at(-1) ?? 0;
    if (inC < 1 || outC % inC !== 0)
      ctx.fail('invalid', `operator #${op.index} (DEPTHWISE_CONV_2D) maps ${inC} channels to ${outC}`);
    return make(
      ctx,
      op,
      'depthwiseConv2d',
      3,
      {
        stride: stride(ctx, op, o.strideW, o.strideH),
        padding: padding(ctx, op),
        dilation: [int(ctx, op, o.dilationH, 1), int(ctx, op, o.dilationW, 1)],
        activation: activation(ctx, op, o.activation),
        depthMultiplier: outC / inC,
      },
      2,
    );
  },
  FULLY_CONNECTED: (ctx, op) => {
    const format = op.options === null ? 0 : ctx.fb.int8(op.options, S.FullyConnectedOptions.weightsFormat);
    if (format !== 0)
      ctx.fail('unsupported-op', `operator #${op.index} (FULLY_CONNECTED) uses shuffled weights; only DEFAULT`);
    return make(ctx, op, 'fullyConnected', 3, { activation: activation(ctx, op, 0) }, 2);
  },
  ADD: (ctx, op) => make(ctx, op, 'add', 2, { activation: activation(ctx, op, S.AddOptions.activation) }),
  AVERAGE_POOL_2D: (ctx, op) => pool(ctx, op, 'averagePool2d'),
  MAX_POOL_2D: (ctx, op) => pool(ctx, op, 'maxPool2d'),
  MEAN: (ctx, op) => {
    const rank = ctx.shapeOf(op.inputs[0]).length;
    const axes = ctx.intConstant(op.inputs[1], 'MEAN axes').map((a) => (a < 0 ? a + rank : a));
    const keepDims = op.options === null ? false : ctx.fb.bool(op.options, S.ReducerOptions.keepDims);
    return make(ctx, op, 'mean', 1, { axes, keepDims });
  },
  PAD: (ctx, op) => {
    const flat = ctx.intConstant(op.inputs[1], 'PAD paddings');
    const rank = ctx.shapeOf(op.inputs[0]).length;
    if (flat.length !== 2 * rank || flat.some((p) => p < 0))
      ctx.fail('invalid', `operator #${op.index} (PAD) has paddings [${flat}] for a rank-${rank} input`);
    const paddings = Array.from({ length: rank }, (_, i): [number, number] => [flat[2 * i], flat[2 * i + 1]]);
    return make(ctx, op, 'pad', 1, { paddings });
  },
  RESHAPE: (ctx, op) => {
    const fromOptions = op.options === null ? null : ctx.fb.int32s(op.options, S.ReshapeOptions.newShape);
    const newShape =
      fromOptions && fromOptions.length > 0
        ? fromOptions
        : op.inputs.length > 1 && ctx.constantBytes(op.inputs[1])
          ? ctx.intConstant(op.inputs[1], 'RESHAPE shape')
          : ctx.shapeOf(op.outputs[0]);
    return make(ctx, op, 'reshape', 1, { newShape });
  },
  SOFTMAX: (ctx, op) => {
    const beta = op.options === null ? 1 : ctx.fb.float32(op.options, S.SoftmaxOptions.beta);
    return make(ctx, op, 'softmax', 1, { beta, axis: -1 });
  },
  RELU: (ctx, op) => make(ctx, op, 'relu', 1, {}),
  RELU6: (ctx, op) => make(ctx, op, 'relu6', 1, {}),
  QUANTIZE: (ctx, op) => make(ctx, op, 'quantize', 1, {}),
  DEQUANTIZE: (ctx, op) => make(ctx, op, 'dequantize', 1, {}),
};

function pool(ctx: TfliteContext, op: RawOp, kind: 'averagePool2d' | 'maxPool2d'): OpDesc {
  const o = S.Pool2DOptions;
  const filter: [number, number] = [int(ctx, op, o.filterH), int(ctx, op, o.filterW)];
  if (filter.some((f) => f < 1)) ctx.fail('invalid', `operator #${op.index} (${op.builtin}) has filter [${filter}]`);
  return make(ctx, op, kind, 1, {
    stride: stride(ctx, op, o.strideW, o.strideH),
    padding: padding(ctx, op),
    filter,
    activation: activation(ctx, op, o.activation),
  });
}

/** The file's output height / width of a windowed op must be what its padding, kernel and stride give (NHWC). */
function checkWindow(ctx: TfliteContext, d: OpDesc): void {
  if (d.kind !== 'conv2d' && d.kind !== 'depthwiseConv2d' && d.kind !== 'averagePool2d' && d.kind !== 'maxPool2d')
    return;
  const x = ctx.tensors[d.inputs[0]!].shape;
  const y = ctx.tensors[d.outputs[0]].shape;
  const w = d.kind === 'conv2d' || d.kind === 'depthwiseConv2d' ? ctx.tensors[d.inputs[1]!].shape : null;
  const kernel = d.kind === 'averagePool2d' || d.kind === 'maxPool2d' ? d.options.filter : [w![1], w![2]];
  const dilation = 'dilation' in d.options ? d.options.dilation : [1, 1];
  if (x.length !== 4 || y.length !== 4 || (w && w.length !== 4))
    ctx.fail('invalid', `operator ${d.name} (${d.sourceOp}) needs 4-D NHWC tensors`);
  const out = ([0, 1] as const).map(
    (a) => resolvePadding(d.options.padding, a, x[1 + a], kernel[a], d.options.stride[a], dilation[a]).out,
  );
  if (out[0] !== y[1] || out[1] !== y[2])
    ctx.fail('invalid', `operator ${d.name} (${d.sourceOp}) outputs [${y}] but its window gives ${out[0]}x${out[1]}`);
}

export function convertTfliteOp(ctx: TfliteContext, op: RawOp): OpDesc {
  const expected = OPTIONS_TYPE[op.builtin] ?? 0;
  if (op.options !== null && expected !== 0 && op.optionsType !== expected)
    ctx.fail('invalid', `operator #${op.index} (${op.builtin}) carries options of union type ${op.optionsType}`);
  const d = CONVERTERS[op.builtin](ctx, op);
  checkWindow(ctx, d);
  return d;
}
