/**
 * The kernel worker: loads wasm/tt_kernels.wasm off the main thread, self-checks it and reports back over
 * comlink. A missing or broken module becomes a clear message rather than an exception on the page.
 */
import * as Comlink from 'comlink';
import { instantiateKernels } from './wasm';
import type { KernelModule } from './wasm';
import { selfCheck } from './kernel-selfcheck';
import { KERNEL_BUILD_LABELS, loadPreferredBuild } from './kernel-build';

// The module is referenced through `new URL` rather than `?url` so the site still builds (and says what is
// missing) while wasm/tt_kernels.wasm has not been built yet.
const WASM_URL = new URL('../../../wasm/tt_kernels.wasm', import.meta.url).href;
const RELAXED_URL = new URL('../../../wasm/tt_kernels_relaxed.wasm', import.meta.url).href;

export interface KernelStatusReport {
  ok: boolean;
  message: string;
  loadMs: number;
  checkMs: number;
  /** number of functions the module exports */
  exportCount: number;
  /** the build that loaded: "relaxed SIMD" or "SIMD" (empty when none did) */
  build: string;
}

let module: KernelModule | null = null;
let build = '';

async function fetchModuleBytes(url: string): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`kernel module not found (HTTP ${res.status}): run \`bash wasm/build.sh\``);
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('text/html')) throw new Error('kernel module not found: run `bash wasm/build.sh`');
  return res.arrayBuffer();
}

const api = {
  /** Loads (once) and self-checks the kernel module. Never throws: failures come back as ok: false. */
  async init(): Promise<KernelStatusReport> {
    const t0 = performance.now();
    try {
      if (!module) {
        const urls = { relaxed: RELAXED_URL, simd: WASM_URL };
        const got = await loadPreferredBuild(urls, async (url) => instantiateKernels(await fetchModuleBytes(url)));
        [module, build] = [got.loaded, KERNEL_BUILD_LABELS[got.build]];
      }
      const loadMs = performance.now() - t0;
      const check = selfCheck(module);
      const exportCount = Object.values(module.exports).filter((v) => typeof v === 'function').length;
      return { ok: check.ok, message: check.message, loadMs, checkMs: check.checkMs, exportCount, build };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return {
        ok: false,
        message: `kernels unavailable: ${message}`,
        loadMs: performance.now() - t0,
        checkMs: 0,
        exportCount: 0,
        build: '',
      };
    }
  },
};

export type KernelWorkerApi = typeof api;

Comlink.expose(api);
