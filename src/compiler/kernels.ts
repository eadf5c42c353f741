/**
 * Signatures of the kernels a plan may call, mirroring kernels-c/include/tt_kernels.h argument by argument.
 * One row per kernel: the firmware generator prints casts from these C types, the interpreter builds typed
 * views from them, and a kernel added here without a row elsewhere (interpreter table, worker) fails to compile.
 * Scratch sizes follow the *_get_buffer_size contracts of the header (one gradient row of float32).
 */

/** The C type of one argument. Pointer types carry constness so a generator can print exact prototypes. */
export type CType =
  | 'const tt_conv_shape*'
  | 'const tt_quant*'
  | 'const tt_update_params*'
  | 'const int8_t*'
  | 'int8_t*'
  | 'uint8_t*'
  | 'const uint8_t*'
  | 'const int32_t*'
  | 'int32_t*'
  | 'const float*'
  | 'float*'
  | 'tt_rng*'
  | 'int32_t'
  | 'float';

export interface KernelSignature {
  returns: 'void' | 'float';
  params: readonly (readonly [name: string, type: CType])[];
}

const SHAPE = ['shape', 'const tt_conv_shape*'] as const;
const FWD_TAIL = [
  ['in', 'const int8_t*'],
  ['w', 'const int8_t*'],
  ['bias', 'const int32_t*'],
  ['mult', 'const float*'],
  ['out', 'int8_t*'],
  ['mask', 'uint8_t*'],
  ['r0', 'int32_t'],
  ['r1', 'int32_t'],
] as const;
const FWD: KernelSignature = { returns: 'void', params: [SHAPE, ['q', 'const tt_quant*'], ...FWD_TAIL] };
const BWD_INPUT: KernelSignature = {
  returns: 'void',
  params: [
    SHAPE,
    ['g_out', 'const float*'],
    ['w', 'const int8_t*'],
    ['wscale', 'const float*'],
    ['g_in', 'float*'],
    ['accumulate', 'int32_t'],
  ],
};
const SAVED_IN = [
  ['in', 'const int8_t*'],
  ['in_stride', 'int32_t'],
  ['in_zp', 'int32_t'],
  ['in_scale', 'float'],
  ['k', 'int32_t'],
] as const;
const BWD_WEIGHT: KernelSignature = {
  returns: 'void',
  params: [SHAPE, ['g_out', 'const float*'], ...SAVED_IN, ['g_w', 'float*']],
};
const UPDATE_TAIL = [
  ['gscale', 'const float*'],
  ['lr', 'float'],
  ['rounding', 'int32_t'],
  ['w', 'int8_t*'],
  ['rng', 'tt_rng*'],
  ['scratch', 'float*'],
] as const;
const BWD_UPDATE: KernelSignature = {
  returns: 'void',
  params: [SHAPE, ['g_out', 'const float*'], ...SAVED_IN, ...UPDATE_TAIL],
};

/** Every kernel a plan step may name, with its C parameter list. */
export const KERNEL_SIGNATURES = {
  tt_conv_s8: FWD,
  tt_pointwise_s8: FWD,
  tt_depthwise_s8: FWD,
  tt_fc_s8: {
    returns: 'void',
    params: [['in_c', 'int32_t'], ['out_c', 'int32_t'], ['q', 'const tt_quant*'], ...FWD_TAIL.slice(0, 6)],
  },
  tt_add_s8: {
    returns: 'void',
    params: [
      ['n', 'int32_t'],
      ['q', 'const tt_quant*'],
      ['b_zp', 'int32_t'],
      ['ma', 'float'],
      ['mb', 'float'],
      ['a', 'const int8_t*'],
      ['b', 'const int8_t*'],
      ['out', 'int8_t*'],
      ['mask', 'uint8_t*'],
    ],
  },
  tt_avgpool_s8: {
    returns: 'void',
    params: [
      ['h', 'int32_t'],
      ['w', 'int32_t'],
      ['c', 'int32_t'],
      ['in_zp', 'int32_t'],
      ['out_zp', 'int32_t'],
      ['m', 'float'],
      ['in', 'const int8_t*'],
      ['out', 'int8_t*'],
    ],
  },
  tt_softmax_xent_s8: {
    returns: 'float',
    params: [
      ['n', 'int32_t'],
      ['logits', 'const int8_t*'],
      ['zp', 'int32_t'],
      ['scale', 'float'],
      ['label', 'int32_t'],
      ['grad', 'float*'],
    ],
  },
  tt_clamp_f32_bwd: {
    returns: 'void',
    params: [
      ['n', 'int32_t'],
      ['g', 'float*'],
      ['mask', 'const uint8_t*'],
    ],
  },
  tt_add_f32_bwd_input: {
    returns: 'void',
    params: [
      ['n', 'int32_t'],
      ['g_out', 'const float*'],
      ['mask', 'const uint8_t*'],
      ['g_in', 'float*'],
      ['accumulate', 'int32_t'],
    ],
  },
  tt_pointwise_f32_bwd_input: BWD_INPUT,
  tt_conv_f32_bwd_input: BWD_INPUT,
  tt_depthwise_f32_bwd_input: BWD_INPUT,
  tt_fc_f32_bwd_input: {
    returns: 'void',
    params: [['in_c', 'int32_t'], ['out_c', 'int32_t'], ...BWD_INPUT.params.slice(1)],
  },
  tt_avgpool_f32_bwd_input: {
    returns: 'void',
    params: [
      ['h', 'int32_t'],
      ['w', 'int32_t'],
      ['c', 'int32_t'],
      ['g_out', 'const float*'],
      ['g_in', 'float*'],
      ['accumulate', 'int32_t'],
    ],
  },
  tt_pointwise_f32_bwd_weight: BWD_WEIGHT,
  tt_conv_f32_bwd_weight: BWD_WEIGHT,
  tt_depthwise_f32_bwd_weight: BWD_WEIGHT,
  tt_fc_f32_bwd_weight: {
    returns: 'void',
    params: [
      ['in_c', 'int32_t'],
      ['out_c', 'int32_t'],
      ['g_out', 'const float*'],
      ['in', 'const int8_t*'],
      ['in_zp', 'int32_t'],
      ['in_scale', 'float'],
      ['k', 'int32_t'],
      ['g_w', 'float*'],
    ],
  },
  tt_bias_f32_bwd: {
    returns: 'void',
    params: [
      ['pixels', 'int32_t'],
      ['channels', 'int32_t'],
      ['g_out', 'const float*'],
      ['g_b', 'float*'],
    ],
  },
  tt_update_s8: {
    returns: 'void',
    params: [
      ['p', 'const tt_update_params*'],
      ['g', 'const float*'],
      ['gscale', 'const float*'],
      ['lr', 'float'],
      ['dst', 'int8_t*'],
      ['rng', 'tt_rng*'],
    ],
  },
  tt_update_s32: {
    returns: 'void',
    params: [
      ['n', 'int32_t'],
      ['rounding', 'int32_t'],
      ['g', 'const float*'],
      ['gscale', 'const float*'],
      ['lr', 'float'],
      ['dst', 'int32_t*'],
      ['rng', 'tt_rng*'],
    ],
  },
  tt_pointwise_bwd_update_s8: BWD_UPDATE,
  tt_conv_bwd_update_s8: BWD_UPDATE,
  tt_depthwise_bwd_update_s8: BWD_UPDATE,
  tt_fc_bwd_update_s8: {
    returns: 'void',
    params: [
      ['in_c', 'int32_t'],
      ['out_c', 'int32_t'],
      ['g_out', 'const float*'],
      ['in', 'const int8_t*'],
      ['in_zp', 'int32_t'],
      ['in_scale', 'float'],
      ['k', 'int32_t'],
      ...UPDATE_TAIL,
    ],
  },
  tt_slice_channels_s8: {
    returns: 'void',
    params: [
      ['pixels', 'int32_t'],
      ['c', 'int32_t'],
      ['k', 'int32_t'],
      ['in', 'const int8_t*'],
      ['out', 'int8_t*'],
    ],
  },
  tt_concat_channels_s8: {
    returns: 'void',
    params: [
      ['pixels', 'int32_t'],
      ['ka', 'int32_t'],
      ['kb', 'int32_t'],
      ['a', 'const int8_t*'],
      ['b', 'const int8_t*'],
      ['out', 'int8_t*'],
    ],
  },
} as const satisfies Record<string, KernelSignature>;

export type KernelName = keyof typeof KERNEL_SIGNATURES;
export const KERNEL_NAMES = Object.keys(KERNEL_SIGNATURES) as KernelName[];

/**
 * Scratch bytes of a fused weight-gradient + update kernel (tt_*_bwd_update_get_buffer_size): one gradient row
 * of float32. Row = one output channel for pointwise / fc (k floats) and general conv (kernel*kernel*k floats);
 * one kernel tap for depthwise (k floats).
 */
export function bwdUpdateScratchBytes(kind: 'conv' | 'pointwise' | 'depthwise' | 'fc', kernel: number, k: number) {
  return 4 * (kind === 'conv' ? kernel * kernel * k : k);
}
