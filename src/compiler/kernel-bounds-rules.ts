/**
 * The rows of the kernel bounds table (kernel-bounds.ts checks plans against them): for each plan kernel, the
 * bytes each pointer argument must hold as a function of its by-value arguments and parameter structs (a kernel
 * added to the header does not compile without its row), and the shape conditions the kernel relies on.
 */
import { Requant, isSquare, type ConvShape, type Quant, type UpdateParams } from './kernel-abi';
import { bwdUpdateScratchBytes, type KernelName } from './kernels';

/** Reads a step's arguments by C parameter name. Every accessor throws a message when the argument is unfit. */
export interface StepArgs {
  /** A by-value int32 that must be a compile-time constant (sizes, row ranges). */
  int(name: string, min?: number): number;
  shape(name: string): ConvShape;
  quant(name: string): Quant;
  /** The dtype of a const argument (undefined for any other kind). */
  constDtype(name: string): string | undefined;
  update(name: string): UpdateParams;
  isNull(name: string): boolean;
}

/** Bytes each pointer argument must hold (struct pointers are checked by their struct type instead). */
export type Needs = Record<string, number>;
export type Rule = (a: StepArgs) => Needs;

const bits = (n: number) => Math.ceil(n / 8);
const F = 4;

export function need(ok: boolean, msg: string): void {
  if (!ok) throw new Error(msg);
}

type ConvKind = 'conv' | 'pointwise' | 'depthwise';

const POSITIVE = [
  ...['inH', 'inW', 'inC', 'outH', 'outW', 'outC', 'kernel', 'stride', 'inRing', 'outRing'],
  ...['kernelW', 'strideW'],
] as const;

/** A shape with positive sizes, non-negative pads and ring rows within the tensors. */
function anyShape(a: StepArgs): ConvShape {
  const s = a.shape('shape');
  for (const f of POSITIVE)
    need(Number.isInteger(s[f]) && s[f] >= 1, `shape.${f} = ${s[f]} must be a positive integer`);
  need(s.pad >= 0 && s.padLeft >= 0, `shape.pad = ${s.pad} or shape.pad_left = ${s.padLeft} is negative`);
  need(s.inRing <= s.inH && s.outRing <= s.outH, `ring rows ${s.inRing}/${s.outRing} exceed the tensor rows`);
  return s;
}

/** A conv-like shape checked for the invariants the kernels of `kind` rely on. Only the general conv reads the
 * width fields; pointwise and depthwise kernels are square and must say so. */
function convShape(a: StepArgs, kind: ConvKind): ConvShape {
  const s = anyShape(a);
  if (kind !== 'conv')
    need(
      isSquare(s),
      `${kind} is square: kernel_w ${s.kernelW}, stride_w ${s.strideW}, pad_left ${s.padLeft} must equal ` +
        `kernel ${s.kernel}, stride ${s.stride}, pad ${s.pad}`,
    );
  if (kind === 'depthwise') need(s.inC === s.outC, `depthwise needs in_c == out_c, got ${s.inC} and ${s.outC}`);
  if (kind === 'pointwise')
    need(
      s.kernel === 1 && s.stride === 1 && s.inH === s.outH && s.inW === s.outW,
      `pointwise needs kernel 1, stride 1 and equal input and output h, w`,
    );
  return s;
}

/** Bytes of the requantization table `mult` of `channels` channels in the step's mode: float32 m per channel, or
 * int32 {M, S} pairs in the fixed mode (the const's dtype must be the one the mode reads). */
function multBytes(a: StepArgs, channels: number): number {
  const mode = a.quant('q').requant ?? 0;
  need(
    (Object.values(Requant) as number[]).includes(mode) && mode !== Requant['tflite-xnnpack'],
    `q.requant = ${mode} is not a mode of this kernel (0, 1, 2)`,
  );
  const fixed = mode === Requant['tflite-fixed'];
  const dtype = a.constDtype('mult');
  need(
    dtype === (fixed ? 'int32' : 'float32'),
    `mult is ${dtype ?? 'not a const'}, mode ${mode} reads ${fixed ? 'int32' : 'float32'}`,
  );
  return (fixed ? 2 * F : F) * channels;
}

const taps = (s: ConvShape) => s.kernel * s.kernelW;
function weightBytes(kind: ConvKind, s: ConvShape): number {
  if (kind === 'depthwise') return taps(s) * s.outC;
  return kind === 'conv' ? s.outC * taps(s) * s.inC : s.outC * s.inC;
}

function forward(kind: ConvKind): Rule {
  return (a) => {
    const s = convShape(a, kind);
    const r0 = a.int('r0');
    const r1 = a.int('r1');
    need(r0 <= r1 && r1 <= s.outH, `rows [${r0}, ${r1}) are not inside [0, ${s.outH})`);
    if (!a.isNull('mask')) need(s.outRing === s.outH, 'a mask needs a whole output tensor (out_ring == out_h)');
    return {
      in: s.inRing * s.inW * s.inC,
      w: weightBytes(kind, s),
      bias: F * s.outC,
      mult: multBytes(a, s.outC),
      out: s.outRing * s.outW * s.outC,
      mask: bits(s.outH * s.outW * s.outC),
    };
  };
}

/** The _cols entries: a forward band restricted to output columns [x0, x1). */
function columns(kind: ConvKind): Rule {
  return (a) => {
    const needs = forward(kind)(a);
    const [x0, x1, outW] = [a.int('x0'), a.int('x1'), convShape(a, kind).outW];
    need(0 <= x0 && x0 <= x1 && x1 <= outW, `columns [${x0}, ${x1}) are not inside [0, ${outW})`);
    return needs;
  };
}

function bwdInput(kind: ConvKind): Rule {
  return (a) => {
    const s = convShape(a, kind);
    return {
      g_out: F * s.outH * s.outW * s.outC,
      w: weightBytes(kind, s),
      wscale: F * s.outC,
      g_in: F * s.inH * s.inW * s.inC,
    };
  };
}

/** The saved input of a weight gradient: `pixels` pixels of in_stride bytes, the first k of each read. */
function savedInput(a: StepArgs, pixels: number, channels: number, stride: number) {
  const k = a.int('k', 1);
  need(k <= channels && k <= stride, `k = ${k} exceeds in_c ${channels} or in_stride ${stride}`);
  return { k, in: (pixels - 1) * stride + k };
}

function bwdWeight(kind: ConvKind): Rule {
  return (a) => {
    const s = convShape(a, kind);
    const { k, in: inBytes } = savedInput(a, s.inH * s.inW, s.inC, a.int('in_stride', 1));
    const gw = kind === 'depthwise' ? taps(s) * k : kind === 'conv' ? s.outC * taps(s) * k : s.outC * k;
    return { g_out: F * s.outH * s.outW * s.outC, in: inBytes, g_w: F * gw };
  };
}

function bwdUpdate(kind: ConvKind): Rule {
  return (a) => {
    const s = convShape(a, kind);
    const { k, in: inBytes } = savedInput(a, s.inH * s.inW, s.inC, a.int('in_stride', 1));
    // weight rows of in_c bytes (the row stride), the first k of each updated
    const rows = kind === 'depthwise' ? taps(s) : kind === 'conv' ? s.outC * taps(s) : s.outC;
    return {
      g_out: F * s.outH * s.outW * s.outC,
      in: inBytes,
      gscale: F * (kind === 'depthwise' ? k : s.outC),
      w: (rows - 1) * s.inC + k,
      rng: 4,
      scratch: bwdUpdateScratchBytes(kind, taps(s), k),
    };
  };
}

/** A windowed pool or pad shape: inC == outC, whole tensors; pools: every window reads an input pixel (its
 * first tap row / column lies before the input's end and its last after the start). */
function windowShape(a: StepArgs, what: 'pool' | 'pad'): ConvShape {
  const s = anyShape(a);
  need(s.inC === s.outC, `${what} needs in_c == out_c, got ${s.inC} and ${s.outC}`);
  need(s.inRing === s.inH && s.outRing === s.outH, `${what} needs whole tensors (no ring buffers)`);
  if (what === 'pad') {
    need(s.kernel === 1 && s.kernelW === 1 && s.stride === 1 && s.strideW === 1, 'pad needs kernel 1 and stride 1');
    need(s.outH >= s.inH + s.pad && s.outW >= s.inW + s.padLeft, 'pad: the output is smaller than input + pads');
    return s;
  }
  const reads = (out: number, stride: number, pad: number, k: number, len: number) =>
    pad < k && (out - 1) * stride - pad < len;
  need(
    reads(s.outH, s.stride, s.pad, s.kernel, s.inH) && reads(s.outW, s.strideW, s.padLeft, s.kernelW, s.inW),
    'pool: a window lies wholly in the padding (it would average or max nothing)',
  );
  return s;
}
const hwc = (h: number, w: number, c: number) => h * w * c;

function fcSizes(a: StepArgs) {
  return { inC: a.int('in_c', 1), outC: a.int('out_c', 1) };
}

export const KERNEL_BOUNDS: { [K in KernelName]: Rule } = {
  tt_conv_s8: forward('conv'),
  tt_pointwise_s8: forward('pointwise'),
  tt_depthwise_s8: forward('depthwise'),
  tt_conv_s8_cols: columns('conv'),
  tt_depthwise_s8_cols: columns('depthwise'),
  tt_fc_s8: (a) => {
    const { inC, outC } = fcSizes(a);
    return { in: inC, w: outC * inC, bias: F * outC, mult: multBytes(a, outC), out: outC, mask: bits(outC) };
  },
  tt_add_s8: (a) => {
    const n = a.int('n');
    return { a: n, b: n, out: n, mask: bits(n) };
  },
  tt_add_s8_fixed: (a) => {
    const n = a.int('n');
    return { a: n, b: n, out: n, mask: bits(n), mult: 6 * F };
  },
  tt_avgpool_s8: (a) => ({ in: a.int('h', 1) * a.int('w', 1) * a.int('c', 1), out: a.int('c', 1) }),
  tt_mean_s8: (a) => ({ in: a.int('h', 1) * a.int('w', 1) * a.int('c', 1), out: a.int('c', 1), mult: multBytes(a, 1) }),
  tt_avgpool2d_s8: (a) => {
    const s = windowShape(a, 'pool');
    return {
      in: hwc(s.inH, s.inW, s.inC),
      count_mult: F * s.kernel * s.kernelW,
      out: hwc(s.outH, s.outW, s.outC),
      mask: bits(hwc(s.outH, s.outW, s.outC)),
    };
  },
  tt_maxpool2d_s8: (a) => {
    const s = windowShape(a, 'pool');
    return { in: hwc(s.inH, s.inW, s.inC), out: hwc(s.outH, s.outW, s.outC), mask: bits(hwc(s.outH, s.outW, s.outC)) };
  },
  tt_pad_s8: (a) => {
    const s = windowShape(a, 'pad');
    return { in: hwc(s.inH, s.inW, s.inC), out: hwc(s.outH, s.outW, s.outC) };
  },
  tt_avgpool2d_f32_bwd_input: (a) => {
    const s = windowShape(a, 'pool');
    return { g_out: F * hwc(s.outH, s.outW, s.outC), g_in: F * hwc(s.inH, s.inW, s.inC) };
  },
  tt_maxpool2d_f32_bwd_input: (a) => {
    const s = windowShape(a, 'pool');
    return { in: hwc(s.inH, s.inW, s.inC), g_out: F * hwc(s.outH, s.outW, s.outC), g_in: F * hwc(s.inH, s.inW, s.inC) };
  },
  tt_pad_f32_bwd_input: (a) => {
    const s = windowShape(a, 'pad');
    return { g_out: F * hwc(s.outH, s.outW, s.outC), g_in: F * hwc(s.inH, s.inW, s.inC) };
  },
  tt_softmax_xent_s8: (a) => ({ logits: a.int('n', 1), grad: F * a.int('n', 1) }),
  tt_clamp_f32_bwd: (a) => ({ g: F * a.int('n'), mask: bits(a.int('n')) }),
  tt_add_f32_bwd_input: (a) => ({ g_out: F * a.int('n'), mask: bits(a.int('n')), g_in: F * a.int('n') }),
  tt_pointwise_f32_bwd_input: bwdInput('pointwise'),
  tt_conv_f32_bwd_input: bwdInput('conv'),
  tt_depthwise_f32_bwd_input: bwdInput('depthwise'),
  tt_depthwise_f32_bwd_input_rows: (a) => {
    const needs = bwdInput('depthwise')(a);
    const [r0, r1, inH] = [a.int('r0'), a.int('r1'), a.shape('shape').inH];
    need(0 <= r0 && r0 <= r1 && r1 <= inH, `rows [${r0}, ${r1}) are not inside [0, ${inH})`);
    return needs;
  },
  tt_fc_f32_bwd_input: (a) => {
    const { inC, outC } = fcSizes(a);
    return { g_out: F * outC, w: outC * inC, wscale: F * outC, g_in: F * inC };
  },
  tt_avgpool_f32_bwd_input: (a) => ({
    g_out: F * a.int('c', 1),
    g_in: F * a.int('h', 1) * a.int('w', 1) * a.int('c', 1),
  }),
  tt_pointwise_f32_bwd_weight: bwdWeight('pointwise'),
  tt_conv_f32_bwd_weight: bwdWeight('conv'),
  tt_depthwise_f32_bwd_weight: bwdWeight('depthwise'),
  tt_fc_f32_bwd_weight: (a) => {
    const { inC, outC } = fcSizes(a);
    const { k, in: inBytes } = savedInput(a, 1, inC, inC);
    return { g_out: F * outC, in: inBytes, g_w: F * outC * k };
  },
  tt_bias_f32_bwd: (a) => ({ g_out: F * a.int('pixels') * a.int('channels'), g_b: F * a.int('channels') }),
  tt_update_s8: (a) => {
    const p = a.update('p');
    need(p.rows >= 1 && p.cols >= 1 && p.rowsPerChannel >= 1, 'update params: rows, cols, rows_per_channel >= 1');
    need(p.rowStride >= p.cols, `update params: row_stride ${p.rowStride} < cols ${p.cols}`);
    need(p.channelIsCol === 0 || p.channelIsCol === 1, 'update params: channel_is_col is 0 or 1');
    const channels = p.channelIsCol ? p.cols : Math.ceil(p.rows / p.rowsPerChannel);
    return { g: F * p.rows * p.cols, gscale: F * channels, dst: (p.rows - 1) * p.rowStride + p.cols, rng: 4 };
  },
  tt_update_s32: (a) => ({ g: F * a.int('n'), gscale: F * a.int('n'), dst: F * a.int('n'), rng: 4 }),
  tt_pointwise_bwd_update_s8: bwdUpdate('pointwise'),
  tt_pointwise_bwd_update_s8_range: (a) => {
    const needs = bwdUpdate('pointwise')(a);
    const [c0, c1, outC] = [a.int('c0'), a.int('c1'), a.shape('shape').outC];
    need(0 <= c0 && c0 <= c1 && c1 <= outC, `channels [${c0}, ${c1}) are not inside [0, ${outC})`);
    return needs;
  },
  tt_conv_bwd_update_s8: bwdUpdate('conv'),
  tt_depthwise_bwd_update_s8: bwdUpdate('depthwise'),
  tt_fc_bwd_update_s8: (a) => {
    const { inC, outC } = fcSizes(a);
    const { k, in: inBytes } = savedInput(a, 1, inC, inC);
    const scratch = bwdUpdateScratchBytes('fc', 1, k);
    return { g_out: F * outC, in: inBytes, gscale: F * outC, w: (outC - 1) * inC + k, rng: 4, scratch };
  },
  tt_slice_channels_s8: (a) => {
    const [pixels, c, k] = [a.int('pixels', 1), a.int('c', 1), a.int('k', 1)];
    need(k <= c, `k = ${k} exceeds c = ${c}`);
    return { in: (pixels - 1) * c + k, out: pixels * k };
  },
  tt_concat_channels_s8: (a) => {
    const [pixels, ka, kb] = [a.int('pixels'), a.int('ka'), a.int('kb')];
    return { a: pixels * ka, b: pixels * kb, out: pixels * (ka + kb) };
  },
};
