/**
 * `npm run bench -- threads [--seconds S] [--round N]`: training throughput of mcunet-5fps 128x128 paper:99kb on 1 and 2
 * WebAssembly threads (src/runtime/kernels/wasm-threads.ts), in Node and in a Chromium worker (a cross-origin
 * isolated page served here, the worker bundled with esbuild), with the 2-thread / 1-thread ratio and the
 * machine's load average, which decides what a second thread can give on a shared machine.
 * Figures only: nothing here fails on a threshold (targets: >= 400 samples/s in Chromium, ratio >= 1.6).
 */
import { cpuLine } from './machine';
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import { loadWasm, paths } from '../src/runtime/testing/kernel-harness';
import { loadThreadedKernels } from '../src/runtime/kernels/wasm-threads-node';
import { formatRows, measureThreads, type ThreadRow } from './threads/measure';

const ROOT = paths.root;
/**
 * Steps a row runs before the next row's turn. Rows take turns so that a change of the machine's load falls on
 * every row alike, but between its turns the two-thread row's kernel thread sleeps (the other rows run on this
 * thread alone), and each turn wakes it: in rounds of 20 steps (about 50 ms, the default until 2026-12-02) the
 * wake-ups cost the row a fifth of its speed on this 2-core VM (the woken thread often shared the caller's core
 * for the turn: ps showed both on CPU 0). The page trains without such pauses (chunks of about 100 ms with a
 * yield between them, an evaluation every 10 s), so a round is about a second of training; `--round 20` gives
 * the old measure.
 */
const ROUND = 250;
const ROWS = [
  { label: '1 thread (tt_kernels.wasm)', threads: 1, single: true },
  { label: '1 thread (tt_kernels_mt.wasm)', threads: 1, single: false },
  { label: '2 threads (tt_kernels_mt.wasm)', threads: 2, single: false },
];

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function node(seconds: number, round: number): Promise<ThreadRow[]> {
  return measureThreads({
    rows: ROWS,
    seconds,
    round,
    get: async (p) => new Uint8Array(readFileSync(p)),
    dataBase: join(ROOT, 'public', 'data'),
    modelBase: join(ROOT, 'public', 'models'),
    load: (threads, single) =>
      single ? loadWasm(paths.wasmSimd) : loadThreadedKernels(join(ROOT, 'wasm', 'tt_kernels_mt.wasm'), threads),
  });
}

const PAGE = `<!doctype html><script type="module">
const w = new Worker('/worker.js', { type: 'module' });
w.onmessage = (e) => { window.__result = e.data; };
w.onerror = (e) => { window.__result = { error: e.message || 'worker error' }; };
window.__run = (m) => w.postMessage(m);
</script>`;

/** Serves the page, the bundled worker, wasm/ and public/ with the cross-origin isolation headers. */
async function serve(): Promise<{ url: string; close: () => void }> {
  const bundle = await build({
    entryPoints: [join(ROOT, 'bench', 'threads', 'browser-worker.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
  });
  const worker = bundle.outputFiles[0].contents;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x').pathname;
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
    };
    const type = (t: string) => ({ ...headers, 'Content-Type': t });
    if (url === '/') return res.writeHead(200, type('text/html')).end(PAGE);
    if (url === '/worker.js') return res.writeHead(200, type('text/javascript')).end(worker);
    const dir = url.startsWith('/wasm/') ? ROOT : join(ROOT, 'public');
    const file = normalize(join(dir, url));
    if (!file.startsWith(ROOT) || !existsSync(file)) return res.writeHead(404, headers).end();
    res.writeHead(200, type(url.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream'));
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

async function browser(
  seconds: number,
  round: number,
): Promise<{ rows: ThreadRow[]; isolated: boolean; cores: number }> {
  const { url, close } = await serve();
  const b = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const page = await b.newPage();
    await page.goto(url);
    await page.evaluate((m) => (window as unknown as { __run: (m: unknown) => void }).__run(m), {
      rows: ROWS,
      seconds,
      round,
    });
    const handle = await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result, null, {
      timeout: 600_000,
    });
    const r = (await handle.jsonValue()) as { rows: ThreadRow[]; isolated: boolean; cores: number; error?: string };
    if (r.error) throw new Error(`chromium worker: ${r.error}`);
    return r;
  } finally {
    await b.close();
    close();
  }
}

export default async function threads(args: string[]): Promise<void> {
  const i = args.indexOf('--seconds');
  const seconds = i >= 0 ? Number(args[i + 1]) : 8;
  const j = args.indexOf('--round');
  const round = j >= 0 ? Number(args[j + 1]) : ROUND;
  if (!(Number.isInteger(round) && round > 0)) throw new Error(`--round takes a positive whole number of steps`);
  console.log(
    `mcunet-5fps@128 paper:99kb, MNIST, batch 1, ~${seconds} s a row in rounds of ${round} steps; ${cpuLine()}`,
  );
  console.log(`load average before: ${load()}`);
  const n = await node(seconds, round);
  formatRows('node', n).forEach((l) => console.log(l));
  console.log(`load average after node: ${load()}`);
  const c = await browser(seconds, round);
  formatRows('chromium worker', c.rows).forEach((l) => console.log(l));
  console.log(`chromium: cross-origin isolated ${c.isolated}, hardwareConcurrency ${c.cores}`);
  console.log(`load average after chromium: ${load()}`);
  const ratio = (rows: ThreadRow[]) => (rows[2].samplesPerSec / rows[0].samplesPerSec).toFixed(2);
  console.log(`2-thread / 1-thread ratio: node ${ratio(n)}, chromium ${ratio(c.rows)} (target >= 1.6)`);
  console.log(`chromium 2 threads: ${c.rows[2].samplesPerSec.toFixed(1)} samples/s (target >= 400)`);
}
