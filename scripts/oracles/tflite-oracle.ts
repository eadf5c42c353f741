/**
 * TFLite oracle: TensorFlow's TFLite web runtime (@tensorflow/tfjs-tflite, wasm) in Chromium, driven through
 * its model runner so int8 tensors are written and read exactly. Nothing comes from the network: every request
 * of the page goes to a made-up origin and is answered from node_modules (tf.min.js, tf-tflite.min.js, wasm/).
 *
 * From an e2e spec: `await openTflitePage(page)`, then `runTfliteInPage(page, bytes, inputs)`. From Node:
 * `runTflite(bytes, inputs)` launches the system Chromium with the e2e launch arguments.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

export const ORACLE_ORIGIN = 'http://tflite-oracle.invalid';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TFLITE = ROOT + 'node_modules/@tensorflow/tfjs-tflite/';

const HTML = `<!doctype html><meta charset="utf-8"><title>tflite oracle</title>
<script src="/tf.min.js"></script><script src="/tf-tflite.min.js"></script><script src="/page.js"></script>`;

function asset(path: string): { body: Buffer | string; contentType: string } | null {
  if (path === '/' || path === '/index.html') return { body: HTML, contentType: 'text/html' };
  if (path === '/tf.min.js')
    return {
      body: readFileSync(ROOT + 'node_modules/@tensorflow/tfjs/dist/tf.min.js'),
      contentType: 'text/javascript',
    };
  if (path === '/tf-tflite.min.js')
    return { body: readFileSync(TFLITE + 'dist/tf-tflite.min.js'), contentType: 'text/javascript' };
  if (path === '/page.js')
    return {
      body: readFileSync(fileURLToPath(new URL('./tflite-page.js', import.meta.url))),
      contentType: 'text/javascript',
    };
  const wasm = /^\/wasm\/(tflite_web_api_[a-z_]+\.(js|wasm))$/.exec(path);
  if (wasm)
    return {
      body: readFileSync(TFLITE + 'wasm/' + wasm[1]),
      contentType: wasm[2] === 'wasm' ? 'application/wasm' : 'text/javascript',
    };
  return null;
}

/** Serves the oracle page from local files on `page` and waits until the runtime is there. */
export async function openTflitePage(page: Page): Promise<void> {
  await page.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    const found = url.origin === ORACLE_ORIGIN ? asset(url.pathname) : null;
    if (!found) return route.abort('blockedbyclient');
    return route.fulfill({ status: 200, body: found.body, contentType: found.contentType });
  });
  await page.goto(ORACLE_ORIGIN + '/index.html');
  await page.waitForFunction(() => (window as unknown as { tfliteReady?: boolean }).tfliteReady === true);
}

export interface OracleTensor {
  dataType: string;
  shape: number[];
  values: number[];
}
export interface TfliteRun {
  inputType: string;
  /** The kernels of the last run, `nodeType:nodeName` (TfLiteXNNPackDelegate for the ops XNNPACK took). */
  kernels: string[];
  /** One entry per input: every output tensor of the model. */
  results: OracleTensor[][];
}

export async function runTfliteInPage(page: Page, model: Uint8Array, inputs: ArrayLike<number>[]): Promise<TfliteRun> {
  return page.evaluate(
    ([m, xs]) =>
      (window as unknown as { runTflite: (m: number[], x: number[][]) => Promise<TfliteRun> }).runTflite(m, xs),
    [Array.from(model), inputs.map((x) => Array.from(x))] as const,
  );
}

/** The launch arguments of playwright.config.ts (system Chromium, no network services). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Runs a .tflite on inputs in a fresh headless Chromium (Node side). */
export async function runTflite(model: Uint8Array, inputs: ArrayLike<number>[]): Promise<TfliteRun> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await openTflitePage(page);
    try {
      return await runTfliteInPage(page, model, inputs);
    } catch (e) {
      throw new Error(`TFLite web runtime: ${e instanceof Error ? e.message.split('\n')[0] : e} ${errors.join('; ')}`);
    }
  } finally {
    await browser.close();
  }
}
