/**
 * Kernel module status for the page: the worker is started once, its self-check result is kept here.
 */
import { create } from 'zustand';
import { startKernelWorker } from '../runtime/kernels/kernel-client';
import type { KernelStatusReport, KernelWorkerHandle } from '../runtime/kernels/kernel-client';

export type KernelPhase = 'idle' | 'loading' | 'ok' | 'error';

export interface KernelState {
  phase: KernelPhase;
  report: KernelStatusReport | null;
  /** starts the worker (once) and runs the kernel self-check */
  init(): Promise<void>;
}

let handle: KernelWorkerHandle | null = null;

export const useKernels = create<KernelState>((set, get) => ({
  phase: 'idle',
  report: null,
  async init() {
    if (get().phase === 'loading' || get().phase === 'ok') return;
    set({ phase: 'loading' });
    try {
      handle ??= startKernelWorker();
      const report = await handle.api.init();
      set({ phase: report.ok ? 'ok' : 'error', report });
    } catch (err) {
      const message = `kernel worker failed to start: ${err instanceof Error ? err.message : String(err)}`;
      set({ phase: 'error', report: { ok: false, message, loadMs: 0, checkMs: 0, exportCount: 0, build: '' } });
    }
  },
}));
