/**
 * Kernel threads in the browser: nested dedicated workers (started from a worker: the page's main thread may
 * not block on Atomics.wait) running the thread source from a Blob URL, so no bundler step is involved.
 */
import { BROWSER_THREAD_SOURCE } from './kernel-thread-source';
import type { ThreadPort } from './wasm-threads';

let sourceUrl: string | null = null;

export function spawnBrowserThread(): ThreadPort {
  // one Blob URL for every thread of this worker, kept (a URL revoked before a worker fetched it breaks it)
  sourceUrl ??= URL.createObjectURL(new Blob([BROWSER_THREAD_SOURCE], { type: 'text/javascript' }));
  const w = new Worker(sourceUrl, { name: 'kernel-thread' });
  return {
    postMessage: (m) => w.postMessage(m),
    onMessage: (cb) => {
      w.addEventListener('message', (e: MessageEvent) => cb(e.data));
      w.addEventListener('error', (e) => cb({ error: e.message || 'kernel thread error' }));
    },
    terminate: () => w.terminate(),
  };
}
