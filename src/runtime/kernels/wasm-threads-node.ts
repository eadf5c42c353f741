/**
 * Kernel threads in Node (CLI, benchmarks, tests): worker_threads running the thread source by eval. The
 * threads are unref'ed, so a process whose work is done exits without disposing them.
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { NODE_THREAD_SOURCE } from './kernel-thread-source';
import { instantiateThreadedKernels } from './wasm-threads-start';
import type { ThreadPort } from './wasm-threads';
import { instantiateKernels, type KernelModule } from './wasm';

/** Threads when none are asked for: the machine's cores, at most 4. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

function spawnNodeThread(): ThreadPort {
  const w = new Worker(NODE_THREAD_SOURCE, { eval: true });
  w.unref();
  return {
    postMessage: (m) => w.postMessage(m),
    onMessage: (cb) => {
      w.on('message', cb);
      w.on('error', (e) => cb({ error: e.message }));
      w.unref(); // a 'message' listener refs the worker's port again (Node 20): the process would never exit
    },
    terminate: () => void w.terminate(),
  };
}

/** Loads a shared-memory kernel module file (wasm/tt_kernels_mt.wasm) with `threads` threads in all. */
export async function loadThreadedKernels(file: string, threads: number): Promise<KernelModule> {
  return instantiateThreadedKernels(readFileSync(file), threads, spawnNodeThread);
}

/**
 * Instantiates kernel module bytes of either build: one that imports shared memory runs on `threads` threads
 * (default: defaultThreads()), a standalone one on this thread only (asking it for more threads is an error).
 */
export async function instantiateKernelBytes(bytes: Uint8Array<ArrayBuffer>, threads?: number): Promise<KernelModule> {
  const module = await WebAssembly.compile(bytes);
  const shared = WebAssembly.Module.imports(module).some((i) => i.kind === 'memory');
  if (shared) return instantiateThreadedKernels(bytes, threads ?? defaultThreads(), spawnNodeThread);
  if ((threads ?? 1) > 1) throw new Error(`this module has no shared memory: it runs on 1 thread, not ${threads}`);
  return instantiateKernels(bytes);
}
