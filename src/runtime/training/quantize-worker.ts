/**
 * The quantize worker (comlink): a float32 ONNX model opened on the page, calibrated and quantized off the main
 * thread by calibrate.ts (the code `tinytrain quantize` runs). onnxruntime-web's wasm-only build is imported
 * here, so its code and its 14 MB .wasm load only when a float model is quantized; the .wasm URL is the one vite
 * serves or emits for the package's export (set explicitly: ort's own `new URL(..., import.meta.url)` points
 * into vite's pre-bundled deps folder in the dev server).
 */
import * as Comlink from 'comlink';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import { quantizeFile, type Progress, type QuantizeRequest } from './calibrate';

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  const type = res.headers.get('content-type') ?? '';
  if (!res.ok || type.includes('text/html')) throw new Error(`${url} is missing (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

const api = {
  /** The int8 ONNX bytes of `req`'s float model; `dataBase` is public/data/ as the page sees it. */
  async quantize(req: QuantizeRequest, dataBase: string, progress: Progress): Promise<Uint8Array> {
    const ort = await import('onnxruntime-web/wasm');
    ort.env.wasm.wasmPaths = { wasm: new URL(wasmUrl, self.location.href).href };
    const bytes = await quantizeFile(ort, req, dataBase.replace(/\/$/, ''), fetchBytes, progress);
    return Comlink.transfer(bytes, [bytes.buffer as ArrayBuffer]);
  },
};

export type QuantizeWorkerApi = typeof api;

Comlink.expose(api);
