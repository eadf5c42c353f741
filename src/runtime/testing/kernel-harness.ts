/**
 * Test and benchmark harness (Node only): runs the same kernel call on every build of kernels-c -- the WebAssembly
 * SIMD module, the WebAssembly scalar module and native C (through kernels-c/tools/tt_call) -- so tests can hold
 * each one to the TypeScript reference bit for bit, and benchmarks can time them side by side.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { instantiateKernels, type KernelModule, type TypedArray } from '../kernels/wasm';

export type { TypedArray };
export type Arg = TypedArray | { i32: number } | { f32: number } | null;
export interface Call {
  /** C name of the kernel, e.g. 'tt_pointwise_s8' */
  fn: string;
  /** arguments in C order; a typed array is copied in and becomes a pointer, null is NULL */
  args: Arg[];
  /** run the call this many times (benchmarks); outputs are those after the last run */
  repeat?: number;
}
export interface CallResult {
  /** the return value (float or int32 as the prototype says; 0 for void) */
  ret: number;
  /** every typed-array argument after the call, in argument order */
  outs: TypedArray[];
  /** mean nanoseconds per call */
  ns: number;
}
export type BackendName = 'wasm-simd' | 'wasm-relaxed' | 'wasm-scalar' | 'native' | 'native-O3';
export interface KernelBackend {
  name: BackendName;
  run(calls: Call[]): CallResult[];
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const paths = {
  root,
  wasmSimd: join(root, 'wasm', 'tt_kernels.wasm'),
  wasmScalar: join(root, 'wasm', 'tt_kernels_scalar.wasm'),
  wasmRelaxed: join(root, 'wasm', 'tt_kernels_relaxed.wasm'),
  kernelsDir: join(root, 'kernels-c'),
};

const isTyped = (a: Arg): a is TypedArray => ArrayBuffer.isView(a);

function cloneLike(a: TypedArray, bytes: Uint8Array): TypedArray {
  const Ctor = a.constructor as new (b: ArrayBuffer) => TypedArray;
  return new Ctor(bytes.slice().buffer);
}

/** A WebAssembly build as a backend: each call copies its buffers into module memory and back out. */
export function wasmBackend(name: 'wasm-simd' | 'wasm-relaxed' | 'wasm-scalar', mod: KernelModule): KernelBackend {
  const fns = mod.exports as unknown as Record<string, (...a: number[]) => number>;
  return {
    name,
    run(calls) {
      return calls.map((call) => {
        const fn = fns[call.fn];
        if (typeof fn !== 'function') throw new Error(`${name}: no export ${call.fn}`);
        const ptrs = call.args.map((a) => (isTyped(a) ? mod.put(a) : 0));
        const nums = call.args.map((a, j) => (a === null ? 0 : isTyped(a) ? ptrs[j] : 'i32' in a ? a.i32 : a.f32));
        const repeat = call.repeat ?? 1;
        let ret = 0;
        const t0 = performance.now();
        for (let r = 0; r < repeat; r++) ret = fn(...nums);
        const ns = ((performance.now() - t0) * 1e6) / repeat;
        const outs = call.args.flatMap((a, j) =>
          isTyped(a) ? [cloneLike(a, new Uint8Array(mod.memory.buffer, ptrs[j], a.byteLength))] : [],
        );
        ptrs.forEach((p) => p && mod.free(p));
        return { ret: ret ?? 0, outs, ns };
      });
    },
  };
}

interface Signature {
  name: string;
  ret: 'v' | 'f' | 'i';
  args: ('p' | 'i' | 'f')[];
}

/** Builds (if needed) and returns the native runner; `fast` is the -O3 -msse4.2 build, else the sanitized one. */
export function nativeRunner(fast: boolean): { exe: string; sigs: Map<string, Signature> } {
  const target = fast ? 'build/tt_call_fast' : 'build/tt_call';
  execFileSync('make', ['-s', '-C', paths.kernelsDir, target], { stdio: ['ignore', 'ignore', 'inherit'] });
  const sigs = JSON.parse(
    readFileSync(join(paths.kernelsDir, 'build', 'tt_call_signatures.json'), 'utf8'),
  ) as Signature[];
  return { exe: join(paths.kernelsDir, target), sigs: new Map(sigs.map((s) => [s.name, s])) };
}

function encode(calls: Call[], sigs: Map<string, Signature>): Buffer {
  const parts: Buffer[] = [];
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    parts.push(b);
  };
  u32(calls.length);
  for (const call of calls) {
    const sig = sigs.get(call.fn);
    if (!sig) throw new Error(`native: unknown kernel ${call.fn}`);
    if (sig.args.length !== call.args.length) throw new Error(`native: ${call.fn} takes ${sig.args.length} arguments`);
    u32(Buffer.byteLength(call.fn));
    parts.push(Buffer.from(call.fn));
    u32(call.repeat ?? 1);
    u32(call.args.length);
    call.args.forEach((a, j) => {
      const head = Buffer.alloc(5);
      if (a === null) {
        parts.push(Buffer.from([0]));
      } else if (isTyped(a)) {
        head[0] = 3;
        head.writeUInt32LE(a.byteLength, 1);
        parts.push(head, Buffer.from(a.buffer, a.byteOffset, a.byteLength));
      } else if (sig.args[j] === 'f' || 'f32' in a) {
        head[0] = 2;
        head.writeFloatLE('f32' in a ? a.f32 : a.i32, 1);
        parts.push(head);
      } else {
        head[0] = 1;
        head.writeInt32LE(a.i32, 1);
        parts.push(head);
      }
    });
  }
  return Buffer.concat(parts);
}

/** Native C as a backend: a batch of calls runs in one process of the runner. */
export function nativeBackend(fast = false): KernelBackend {
  const { exe, sigs } = nativeRunner(fast);
  return {
    name: fast ? 'native-O3' : 'native',
    run(calls) {
      const res = spawnSync(exe, [], { input: encode(calls, sigs), maxBuffer: 1 << 30 });
      if (res.status !== 0) throw new Error(`native runner failed (${res.status}): ${res.stderr.toString()}`);
      const out = res.stdout;
      let at = 0;
      return calls.map((call) => {
        const status = out.readInt32LE(at);
        if (status !== 0) throw new Error(`native: ${call.fn} dispatch status ${status}`);
        const bits = out.subarray(at + 4, at + 8);
        const ns = out.readDoubleLE(at + 8);
        at += 16;
        const kind = sigs.get(call.fn)!.ret;
        const ret = kind === 'f' ? bits.readFloatLE(0) : kind === 'i' ? bits.readInt32LE(0) : 0;
        const outs = call.args.flatMap((a) => {
          if (!isTyped(a)) return [];
          const o = cloneLike(a, new Uint8Array(out.buffer, out.byteOffset + at, a.byteLength));
          at += a.byteLength;
          return [o];
        });
        return { ret, outs, ns };
      });
    },
  };
}

export async function loadWasm(file: string): Promise<KernelModule> {
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build:wasm`);
  return instantiateKernels(readFileSync(file));
}

/**
 * Every backend: WebAssembly SIMD, WebAssembly scalar, sanitized native C, and the native -O3 build the
 * benchmarks time (gcc's auto-vectorization must not change a bit either).
 */
export async function loadBackends(): Promise<KernelBackend[]> {
  return [
    wasmBackend('wasm-simd', await loadWasm(paths.wasmSimd)),
    wasmBackend('wasm-scalar', await loadWasm(paths.wasmScalar)),
    nativeBackend(false),
    nativeBackend(true),
  ];
}
