/**
 * Loads the kernel module (wasm/tt_kernels.wasm) and gives typed access to its exports and its memory.
 * This file and the executor are the only code that touches WebAssembly memory. The module is standalone
 * (STANDALONE_WASM): its only import is the memory-growth hook, and `_initialize` runs its constructors.
 */
import { CONV_SHAPE_FIELDS, QUANT_FIELDS, UPDATE_PARAMS_FIELDS, structWords } from '../../compiler/kernel-abi';
import type { ConvShape, Quant, UpdateParams } from '../../compiler/kernel-abi';
import type { KernelExports, Ptr } from './wasm-exports.gen';
import type { KernelThreads } from './wasm-threads';

/** Every export of the module, generated from kernels-c/include/tt_kernels.h (wasm-exports.gen.ts). */
export type { KernelExports };

export type TypedArray = Int8Array | Uint8Array | Int32Array | Uint32Array | Float32Array;
type TypedCtor<T extends TypedArray> = {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  BYTES_PER_ELEMENT: number;
};

/** A loaded kernel module with small helpers for moving data in and out of its memory. */
export class KernelModule {
  /** Kernel threads over this module's shared memory (wasm-threads.ts), or null: one thread. */
  threads: KernelThreads | null = null;

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
