/** The Chromium side of `npm run bench -- threads`: a module worker that runs measureThreads (bundled by esbuild). */
import { instantiateKernels } from '../../src/runtime/kernels/wasm';
import { instantiateThreadedKernels } from '../../src/runtime/kernels/wasm-threads-start';
import { spawnBrowserThread } from '../../src/runtime/kernels/wasm-threads-browser';
import { measureThreads, type MeasureOptions } from './measure';

const get = async (path: string) => new Uint8Array(await (await fetch(path)).arrayBuffer());

self.onmessage = async (e: MessageEvent<Pick<MeasureOptions, 'rows' | 'seconds' | 'round'>>) => {
  try {
    const rows = await measureThreads({
      ...e.data,
      get,
      dataBase: '/data',
      modelBase: '/models',
      load: async (threads, single) =>
        single
          ? instantiateKernels(await get('/wasm/tt_kernels.wasm'))
          : instantiateThreadedKernels(await get('/wasm/tt_kernels_mt.wasm'), threads, spawnBrowserThread),
    });
    self.postMessage({ rows, isolated: self.crossOriginIsolated, cores: navigator.hardwareConcurrency });
  } catch (err) {
    self.postMessage({ error: String((err as Error)?.stack ?? err) });
  }
};
