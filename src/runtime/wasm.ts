/**
 * Loads the kernel module (wasm/tt_kernels.wasm) and gives typed access to its exports and its memory.
 * This file and the executor are the only code that touches WebAssembly memory. The module is standalone
 * (STANDALONE_WASM): its only import is the memory-growth hook, and `_initialize` runs its constructors.
 */
import { CONV_SHAPE_FIELDS, QUANT_FIELDS, UPDATE_PARAMS_FIELDS, structWords } from '../compiler/kernel-abi';
import type { ConvShape, Quant, UpdateParams } from '../compiler/kernel-abi';

type Ptr = number;
type I32 = number;
type F32 = number;

/** Every export listed in wasm/exports.txt, with C argument order (pointers are byte offsets). */
export interface KernelExports {
  memory: WebAssembly.Memory;
  _initialize?: () => void;
  malloc(size: I32): Ptr;
  free(p: Ptr): void;
  tt_expf(x: F32): F32;
  tt_logf(x: F32): F32;
  tt_conv_s8(shape: Ptr, q: Ptr, inp: Ptr, w: Ptr, bias: Ptr, mult: Ptr, out: Ptr, mask: Ptr, r0: I32, r1: I32): void;
  tt_pointwise_s8(shape: Ptr, q: Ptr, inp: Ptr, w: Ptr, bias: Ptr, mult: Ptr, out: Ptr, mask: Ptr, r0: I32, r1: I32): void;
  tt_depthwise_s8(shape: Ptr, q: Ptr, inp: Ptr, w: Ptr, bias: Ptr, mult: Ptr, out: Ptr, mask: Ptr, r0: I32, r1: I32): void;
  tt_fc_s8(inC: I32, outC: I32, q: Ptr, inp: Ptr, w: Ptr, bias: Ptr, mult: Ptr, out: Ptr, mask: Ptr): void;
  tt_add_s8(n: I32, q: Ptr, bZp: I32, ma: F32, mb: F32, a: Ptr, b: Ptr, out: Ptr, mask: Ptr): void;
  tt_avgpool_s8(h: I32, w: I32, c: I32, inZp: I32, outZp: I32, m: F32, inp: Ptr, out: Ptr): void;
  tt_softmax_xent_s8(n: I32, logits: Ptr, zp: I32, scale: F32, label: I32, grad: Ptr): F32;
  tt_clamp_f32_bwd(n: I32, g: Ptr, mask: Ptr): void;
  tt_add_f32_bwd_input(n: I32, gOut: Ptr, mask: Ptr, gIn: Ptr, accumulate: I32): void;
  tt_pointwise_f32_bwd_input(shape: Ptr, gOut: Ptr, w: Ptr, wscale: Ptr, gIn: Ptr, accumulate: I32): void;
  tt_conv_f32_bwd_input(shape: Ptr, gOut: Ptr, w: Ptr, wscale: Ptr, gIn: Ptr, accumulate: I32): void;
  tt_depthwise_f32_bwd_input(shape: Ptr, gOut: Ptr, w: Ptr, wscale: Ptr, gIn: Ptr, accumulate: I32): void;
  tt_fc_f32_bwd_input(inC: I32, outC: I32, gOut: Ptr, w: Ptr, wscale: Ptr, gIn: Ptr, accumulate: I32): void;
  tt_avgpool_f32_bwd_input(h: I32, w: I32, c: I32, gOut: Ptr, gIn: Ptr, accumulate: I32): void;
  tt_pointwise_f32_bwd_weight(shape: Ptr, gOut: Ptr, inp: Ptr, inStride: I32, inZp: I32, inScale: F32, k: I32, gW: Ptr): void;
  tt_conv_f32_bwd_weight(shape: Ptr, gOut: Ptr, inp: Ptr, inStride: I32, inZp: I32, inScale: F32, k: I32, gW: Ptr): void;
  tt_depthwise_f32_bwd_weight(shape: Ptr, gOut: Ptr, inp: Ptr, inStride: I32, inZp: I32, inScale: F32, k: I32, gW: Ptr): void;
  tt_fc_f32_bwd_weight(inC: I32, outC: I32, gOut: Ptr, inp: Ptr, inZp: I32, inScale: F32, k: I32, gW: Ptr): void;
  tt_bias_f32_bwd(pixels: I32, channels: I32, gOut: Ptr, gB: Ptr): void;
  tt_update_s8(params: Ptr, g: Ptr, gscale: Ptr, lr: F32, dst: Ptr, rng: Ptr): void;
  tt_update_s32(n: I32, rounding: I32, g: Ptr, gscale: Ptr, lr: F32, dst: Ptr, rng: Ptr): void;
  tt_pointwise_bwd_update_get_buffer_size(shape: Ptr, k: I32): I32;
  tt_pointwise_bwd_update_s8(shape: Ptr, gOut: Ptr, inp: Ptr, inStride: I32, inZp: I32, inScale: F32, k: I32, gscale: Ptr, lr: F32, rounding: I32, w: Ptr, rng: Ptr, scratch: Ptr): void;
  tt_conv_bwd_update_get_buffer_size(shape: Ptr, k: I32): I32;
  tt_conv_bwd_update_s8(shape: Ptr, gOut: Ptr, inp: Ptr, inStride: I32, inZp: I32, inScale: F32, k: I32, gscale: Ptr, lr: F32, rounding: I32, w: Ptr, rng: Ptr, scratch: Ptr): void;
  tt_depthwise_bwd_update_get_buffer_size(shape: Ptr, k: I32): I32;
  tt_depthwise_bwd_update_s8(shape: Ptr, gOut: Ptr, inp: Ptr, inStride: I32, inZp: I32, inScale: F32, k: I32, gscale: Ptr, lr: F32, rounding: I32, w: Ptr, rng: Ptr, scratch: Ptr): void;
  tt_fc_bwd_update_get_buffer_size(inC: I32, outC: I32, k: I32): I32;
  tt_fc_bwd_update_s8(inC: I32, outC: I32, gOut: Ptr, inp: Ptr, inZp: I32, inScale: F32, k: I32, gscale: Ptr, lr: F32, rounding: I32, w: Ptr, rng: Ptr, scratch: Ptr): void;
  tt_slice_channels_s8(pixels: I32, c: I32, k: I32, inp: Ptr, out: Ptr): void;
  tt_concat_channels_s8(pixels: I32, ka: I32, kb: I32, a: Ptr, b: Ptr, out: Ptr): void;
}

export type TypedArray = Int8Array | Uint8Array | Int32Array | Uint32Array | Float32Array;
type TypedCtor<T extends TypedArray> = {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  BYTES_PER_ELEMENT: number;
};

/** A loaded kernel module with small helpers for moving data in and out of its memory. */
export class KernelModule {
  constructor(readonly exports: KernelExports) {}

  get memory(): WebAssembly.Memory {
    return this.exports.memory;
  }

  /** Allocates `bytes` in module memory (malloc's alignment, at least 8); throws when memory runs out. */
  alloc(bytes: number): Ptr {
    const p = this.exports.malloc(Math.max(1, bytes));
    if (p === 0) throw new Error(`WebAssembly out of memory allocating ${bytes} bytes`);
    return p;
  }

  free(p: Ptr): void {
    this.exports.free(p);
  }

  /** A view of module memory; re-create views after anything that may grow memory. */
  view<T extends TypedArray>(ctor: TypedCtor<T>, ptr: Ptr, length: number): T {
    return new ctor(this.exports.memory.buffer as ArrayBuffer, ptr, length);
  }

  /** Copies a typed array into freshly allocated module memory and returns its pointer (free it after). */
  put(data: TypedArray): Ptr {
    const p = this.alloc(data.byteLength);
    new Uint8Array(this.exports.memory.buffer, p, data.byteLength).set(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
    return p;
  }

  /** Copies `length` elements at `ptr` out of module memory. */
  get<T extends TypedArray>(ctor: TypedCtor<T>, ptr: Ptr, length: number): T {
    const bytes = new Uint8Array(this.exports.memory.buffer, ptr, length * ctor.BYTES_PER_ELEMENT).slice();
    return new ctor(bytes.buffer, 0, length);
  }

  putConvShape(s: ConvShape): Ptr {
    return this.put(structWords(CONV_SHAPE_FIELDS, s));
  }
  putQuant(q: Quant): Ptr {
    return this.put(structWords(QUANT_FIELDS, q));
  }
  putUpdateParams(p: UpdateParams): Ptr {
    return this.put(structWords(UPDATE_PARAMS_FIELDS, p));
  }
}

/** Instantiates the kernel module from its bytes (works in Node, workers and the page). */
export async function instantiateKernels(bytes: BufferSource): Promise<KernelModule> {
  const { instance } = await WebAssembly.instantiate(bytes, {
    env: { emscripten_notify_memory_growth: () => undefined },
  });
  const exports = instance.exports as unknown as KernelExports;
  exports._initialize?.();
  return new KernelModule(exports);
}
