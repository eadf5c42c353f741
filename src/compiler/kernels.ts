/**
 * The kernels a plan may call, as kernels-c/include/tt_kernels.h declares them. The table itself is generated
 * from the header (kernel-signatures.gen.ts, by kernels-c/tools/gen_contract.mjs; kernel-contract.test.ts fails
 * when it is stale): the firmware generator prints casts from these C types, the interpreter builds typed views
 * from them, and a kernel added to the header without a row elsewhere (interpreter table, executor bounds)
 * fails to compile. Scratch sizes follow the *_get_buffer_size contracts of the header (one gradient row of
 * float32); kernel-contract.test.ts runs the C queries against bwdUpdateScratchBytes.
 */
import { KERNEL_SIGNATURES, type CType } from './kernel-signatures.gen';

export { KERNEL_SIGNATURES, type CType };

export type KernelName = keyof typeof KERNEL_SIGNATURES;
/** One row: the C return type and the [name, C type] pairs of the parameters, in order. */
export type KernelSignature = (typeof KERNEL_SIGNATURES)[KernelName];
export const KERNEL_NAMES = Object.keys(KERNEL_SIGNATURES) as KernelName[];

/**
 * Scratch bytes of a fused weight-gradient + update kernel (tt_*_bwd_update_get_buffer_size): one gradient row
 * of float32. Row = one output channel for pointwise / fc (k floats) and general conv (kernel * kernel_w * k
 * floats: `taps` = kernel * kernel_w); one kernel tap for depthwise (k floats).
 */
export function bwdUpdateScratchBytes(kind: 'conv' | 'pointwise' | 'depthwise' | 'fc', taps: number, k: number) {
  return 4 * (kind === 'conv' ? taps * k : k);
}
