/**
 * Starting the threaded kernels (wasm-threads.ts runs them): the shared-memory module instantiated on this thread
 * over a new shared WebAssembly.Memory, and on each kernel thread a `spawn` starts (a worker in the browser,
 * a worker_thread in Node), each with its own stack in that memory; resolves once every thread is ready.
 */
import { KernelModule, type KernelExports } from './wasm';
import { CTRL_BYTES } from './kernel-thread-source';
import { KernelThreads, type SpawnThread, type ThreadPort } from './wasm-threads';

/** Bytes of stack each kernel thread gets (the fused kernels keep a 16 KB block on the stack). */
const THREAD_STACK_BYTES = 256 * 1024;
/** Spin iterations before a blocking wait (some tens of microseconds). */
const SPIN = 20000;
const PAGE = 65536;
/** How long a kernel thread may take to start (instantiate the module) before the threads are given up. */
const READY_MS = 30_000;

/** Whether this context can share memory with threads (SharedArrayBuffer present and, in a page, isolated). */
export function sharedMemoryAvailable(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean };
  return typeof SharedArrayBuffer === 'function' && g.crossOriginIsolated !== false;
}

/** Imports of the main instance: the few emscripten runtime hooks the kernels' libc reaches, over `memory`. */
function mainImports(module: WebAssembly.Module, memory: WebAssembly.Memory, ex: () => Record<string, Function>) {
  const env: WebAssembly.ModuleImports = { memory };
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind === 'function' && imp.module === 'env')
      env[imp.name] = () => {
        throw new Error(`${imp.name} is not available in the kernel module`);
      };
  }
  env.emscripten_get_now = () => performance.now();
  env.__emscripten_init_main_thread_js = (tb: number) => ex()._emscripten_thread_init(tb, 0, 1, 1, 0);
  env.emscripten_resize_heap = (requested: number) => {
    const need = (requested >>> 0) - memory.buffer.byteLength;
    try {
      if (need > 0) memory.grow(Math.ceil(need / PAGE));
      return 1;
    } catch {
      return 0;
    }
  };
  return { env };
}

/**
 * Instantiates the shared-memory kernel module here and on `threads - 1` kernel threads started by `spawn`.
 * The KernelModule it returns carries the threads (module.threads); dispose them when done.
 */
export async function instantiateThreadedKernels(
  bytes: BufferSource,
  threads: number,
  spawn: SpawnThread,
): Promise<KernelModule> {
  if (!Number.isInteger(threads) || threads < 1 || threads > 64)
    throw new Error(`threads must be 1..64, got ${threads}`);
  const module = await WebAssembly.compile(bytes);
  const memDecl = WebAssembly.Module.imports(module).find((i) => i.kind === 'memory');
  if (!memDecl) throw new Error('the threaded kernel module does not import its memory');
  const memory = new WebAssembly.Memory({ initial: 256, maximum: 16384, shared: true });
  let raw: Record<string, Function> = {};
  const instance = await WebAssembly.instantiate(
    module,
    mainImports(module, memory, () => raw),
  );
  raw = instance.exports as unknown as Record<string, Function>;
  raw.__wasm_call_ctors();
  const mod = new KernelModule({ ...(instance.exports as object), memory } as unknown as KernelExports);
  const names = Object.keys(raw).filter((n) => n.startsWith('tt_'));
  const ctrl = new SharedArrayBuffer(CTRL_BYTES);
  const ports: ThreadPort[] = [];
  const ready: Promise<void>[] = [];
  for (let j = 1; j < threads; j++) {
    const stack = mod.alloc(THREAD_STACK_BYTES);
    const port = spawn();
    ports.push(port);
    ready.push(
      new Promise<void>((resolve, reject) => {
        const late = setTimeout(() => reject(new Error(`kernel thread ${j} did not start`)), READY_MS);
        port.onMessage((m) => {
          if (m.ready || m.error) clearTimeout(late);
          if (m.ready) resolve();
          else if (m.error) reject(new Error(`kernel thread ${j}: ${m.error}`));
        });
      }),
    );
    const stackTop = (stack + THREAD_STACK_BYTES) & ~15;
    port.postMessage({ module, memory, ctrl, stackTop, names, spin: SPIN });
  }
  const pool = new KernelThreads(ports, ctrl, names, SPIN);
  try {
    await Promise.all(ready);
  } catch (e) {
    pool.dispose();
    throw e;
  }
  mod.threads = pool;
  return mod;
}
