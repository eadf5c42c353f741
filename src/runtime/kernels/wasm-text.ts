/**
 * The WebAssembly text of one exported kernel, read with wabt (the npm build of the WebAssembly Binary
 * Toolkit): the module is parsed, validated and printed once (cached per byte array), then split into
 * functions. An exported kernel is often a thin wrapper around static helpers that clang did not inline
 * (tt_pointwise_s8 calls the shared int8 GEMM), so a kernel's text is its own function followed by every
 * function it reaches through direct `call`s, and its SIMD count covers all of them. Pure: runs in Node and
 * in the browser (wabt embeds its own wasm binary).
 */
import wabt from 'wabt';

/** One function of a kernel's text. */
export interface WasmFunctionText {
  /** wabt name, `$tt_pointwise_s8` or a generated one like `$f37` for a static helper */
  name: string;
  text: string;
  simdOps: number;
}

export interface KernelWasmText {
  kernel: string;
  /** the exported function first, then its callees in breadth-first order */
  functions: WasmFunctionText[];
  /** all of them, as one piece of text */
  text: string;
  /** SIMD instructions (v128 / i8x16 / i16x8 / i32x4 / i64x2 / f32x4 / f64x2 ops) across the functions */
  simdOps: number;
  /** SIMD mnemonics by how often they occur, most frequent first: what the kernel's vector code is made of */
  simdHistogram: [op: string, count: number][];
}

export interface WasmTextModule {
  /** exported function names (what `kernel()` accepts) */
  exports: string[];
  /** The text of one exported function and its callees; throws for a name the module does not export. */
  kernel(name: string): KernelWasmText;
}

const SIMD_OP = /\b(?:v128|i8x16|i16x8|i32x4|i64x2|f32x4|f64x2)\.[a-z0-9_]+/g;
const FUNC_START = /^ {2}\(func (\$[^\s()]+)/;
const EXPORT_FUNC = /^ {2}\(export "([^"]+)" \(func (\$[^\s()]+)\)\)/;
const CALL = /\bcall (\$[^\s()]+)/g;

/** SIMD mnemonics in a piece of WebAssembly text with their counts, most frequent first (ties by name). */
export function simdHistogram(text: string): [string, number][] {
  const counts = new Map<string, number>();
  for (const m of text.matchAll(SIMD_OP)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** SIMD instructions in a piece of WebAssembly text (one per mnemonic occurrence). */
export function countSimdOps(text: string): number {
  return text.match(SIMD_OP)?.length ?? 0;
}

type Wabt = Awaited<ReturnType<typeof wabt>>;
let wabtReady: Promise<Wabt> | null = null;
const parsed = new WeakMap<Uint8Array, Promise<WasmTextModule>>();

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
}

/** Module text -> functions by name and exports by name (wabt prints one `(func` / `(export` a line). */
function splitModule(text: string): WasmTextModule {
  const funcs = new Map<string, string>();
  const exported = new Map<string, string>();
  let name: string | null = null;
  let lines: string[] = [];
  const close = () => {
    if (name) funcs.set(name, lines.join('\n'));
    name = null;
    lines = [];
  };
  for (const line of text.split('\n')) {
    const f = FUNC_START.exec(line);
    if (f) {
      close();
      name = f[1];
    } else if (/^ {2}\(/.test(line)) close();
    if (name) lines.push(line);
    const e = EXPORT_FUNC.exec(line);
    if (e) exported.set(e[1], e[2]);
  }
  close();
  return {
    exports: [...exported.keys()],
    kernel(kernel) {
      const entry = exported.get(kernel);
      if (!entry || !funcs.has(entry)) throw new Error(`the module exports no function named '${kernel}'`);
      const order = [entry];
      for (let i = 0; i < order.length; i++) {
        for (const m of funcs.get(order[i])!.matchAll(CALL)) {
          if (funcs.has(m[1]) && !order.includes(m[1])) order.push(m[1]);
        }
      }
      const functions = order.map((n) => {
        const t = funcs.get(n)!;
        return { name: n, text: t, simdOps: countSimdOps(t) };
      });
      const text = functions.map((f) => f.text).join('\n');
      return {
        kernel,
        functions,
        text,
        simdOps: functions.reduce((s, f) => s + f.simdOps, 0),
        simdHistogram: simdHistogram(text),
      };
    },
  };
}

async function parse(bytes: Uint8Array): Promise<WasmTextModule> {
  wabtReady ??= wabt();
  const w = await wabtReady;
  let mod: ReturnType<Wabt['readWasm']>;
  try {
    mod = w.readWasm(bytes, { readDebugNames: true, simd: true });
  } catch (err) {
    throw new Error(`not a valid WebAssembly module: ${message(err)}`);
  }
  try {
    mod.validate();
    mod.generateNames();
    mod.applyNames();
    return splitModule(mod.toText({ foldExprs: false, inlineExport: false }));
  } catch (err) {
    throw new Error(`not a valid WebAssembly module: ${message(err)}`);
  } finally {
    mod.destroy();
  }
}

/** Parse (once per byte array) and print a module; rejects with a readable message for malformed bytes. */
export function wasmTextModule(bytes: Uint8Array): Promise<WasmTextModule> {
  let p = parsed.get(bytes);
  if (!p) {
    p = parse(bytes);
    parsed.set(bytes, p);
  }
  return p;
}

/** The WebAssembly text of one exported kernel (plus its callees) and its SIMD count. */
export async function kernelWasmText(bytes: Uint8Array, kernel: string): Promise<KernelWasmText> {
  return (await wasmTextModule(bytes)).kernel(kernel);
}
