/**
 * Kernel threads in Node (CLI, benchmarks, tests): worker_threads running the thread source by eval. The
 * threads are unref'ed, so a process whose work is done exits without disposing them.
 */
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { NODE_THREAD_SOURCE } from './kernel-thread-source';
import { instantiateThreadedKernels, type ThreadPort } from './wasm-threads';
import type { KernelModule } from './wasm';

function spawnNodeThread(): ThreadPort {
  const w = new Worker(NODE_THREAD_SOURCE, { eval: true });
  w.unref();
  return {
    postMessage: (m) => w.postMessage(m),
    onMessage: (cb) => {
      w.on('message', cb);
      w.on('error', (e) => cb({ error: e.message }));
    },
    terminate: () => void w.terminate(),
  };
}

/** Loads a shared-memory kernel module file (wasm/tt_kernels_mt.wasm) with `threads` threads in all. */
export async function loadThreadedKernels(file: string, threads: number): Promise<KernelModule> {
  return instantiateThreadedKernels(readFileSync(file), threads, spawnNodeThread);
}
