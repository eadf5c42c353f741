/**
 * Starts the kernel worker and returns its comlink proxy. The only place the page creates that worker.
 */
import * as Comlink from 'comlink';
import type { KernelWorkerApi } from './kernel-worker';

export type { KernelStatusReport } from './kernel-worker';

export interface KernelWorkerHandle {
  api: Comlink.Remote<KernelWorkerApi>;
  terminate(): void;
}

export function startKernelWorker(): KernelWorkerHandle {
  const worker = new Worker(new URL('./kernel-worker.ts', import.meta.url), { type: 'module', name: 'kernels' });
  const api = Comlink.wrap<KernelWorkerApi>(worker);
  return {
    api,
    terminate: () => {
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}
