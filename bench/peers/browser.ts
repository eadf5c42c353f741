/**
 * The Chromium rows of `npm run bench -- peers`: serves a page and the bundled worker (browser-worker.ts), wasm/
 * and public/ on 127.0.0.1, opens it in Debian's Chromium (headless, through playwright-core), and returns the
 * worker's ms per step for each scheme plus what the page found of a GPU for TF.js: the WebGL renderer (a software
 * one, SwiftShader or llvmpipe, is no GPU) and whether WebGPU gives a hardware adapter.
 */
import { build } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserRequest, BrowserResult } from './browser-worker';

export const CHROMIUM = '/usr/bin/chromium';

export interface GpuProbe {
  webgl: string;
  webgpu: string;
  /** a hardware GPU the TF.js webgl or webgpu backend could use */
  found: boolean;
}

const PAGE = `<!doctype html><script type="module">
const w = new Worker('/worker.js', { type: 'module' });
w.onmessage = (e) => { window.__result = e.data; };
w.onerror = (e) => { window.__result = { build: '', ms: {}, error: e.message || 'worker error' }; };
window.__run = (m) => w.postMessage(m);
</script>`;

async function serve(root: string): Promise<{ url: string; close: () => void }> {
  const bundle = await build({
    entryPoints: [join(root, 'bench', 'peers', 'browser-worker.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
  });
  const worker = bundle.outputFiles[0].contents;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x').pathname;
    if (url === '/') return res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE);
    if (url === '/worker.js') return res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(worker);
    const dir = url.startsWith('/wasm/') ? root : join(root, 'public');
    const file = normalize(join(dir, url));
    if (!file.startsWith(root) || !existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': url.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

/** Runs in the page (a string, so the bundler's helpers stay out of it): the WebGL renderer and the WebGPU adapter,
 * if any. */
const PROBE = `(async () => {
  const c = document.createElement('canvas');
  const gl = c.getContext('webgl2') || c.getContext('webgl');
  let webgl = 'unavailable';
  if (gl) {
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    webgl = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  }
  const soft = /swiftshader|llvmpipe|software/i.test(webgl);
  let webgpu = 'unavailable (no navigator.gpu)';
  let hw = false;
  if (navigator.gpu) {
    const a = await navigator.gpu.requestAdapter().catch(() => null);
    hw = !!a && !a.isFallbackAdapter;
    webgpu = !a ? 'no adapter' : (a.isFallbackAdapter ? 'fallback (software) adapter' : 'adapter ' + ((a.info && a.info.vendor) || ''));
  }
  return { webgl: gl && soft ? webgl + ' (software)' : webgl, webgpu, found: (!!gl && !soft) || hw };
})()`;

/** ms per step in the Chromium worker for each scheme, the kernel build it ran, the GPU probe, the version. */
export async function chromiumRows(
  root: string,
  req: BrowserRequest,
): Promise<BrowserResult & { gpu: GpuProbe; version: string }> {
  const { url, close } = await serve(root);
  const b = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const page = await b.newPage();
    await page.goto(url);
    const gpu = (await page.evaluate(PROBE)) as GpuProbe;
    await page.evaluate((m) => (window as unknown as { __run: (m: unknown) => void }).__run(m), req);
    const handle = await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result, null, {
      timeout: 900_000,
    });
    const r = (await handle.jsonValue()) as BrowserResult;
    if (r.error) throw new Error(`chromium worker: ${r.error.split('\n')[0]}`);
    return { ...r, gpu, version: b.version() };
  } finally {
    await b.close();
    close();
  }
}
