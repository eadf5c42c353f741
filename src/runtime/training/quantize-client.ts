/**
 * The page side of quantization: one quantize worker per job (quantize-worker.ts), terminated when the job
 * ends or is cancelled, so onnxruntime-web's memory goes with it.
 */
import * as Comlink from 'comlink';
import type { Progress, QuantizeRequest } from './calibrate';
import type { QuantizeWorkerApi } from './quantize-worker';

export interface QuantizeJob {
  /** The int8 ONNX bytes; rejects with the failure's message, or 'cancelled' after cancel(). */
  result: Promise<Uint8Array>;
  cancel(): void;
}

export const CANCELLED = 'cancelled';

/** Starts quantizing `req` in a new worker; `progress` gets (samples done, samples in all). */
export function quantizeInWorker(req: QuantizeRequest, progress: Progress): QuantizeJob {
  const worker = new Worker(new URL('./quantize-worker.ts', import.meta.url), { type: 'module', name: 'quantize' });
  const api = Comlink.wrap<QuantizeWorkerApi>(worker);
  let stop: (e: Error) => void = () => undefined;
  const stopped = new Promise<never>((_, reject) => (stop = reject));
  worker.addEventListener('error', (ev) =>
    stop(new Error(`the quantize worker failed: ${ev.message || 'not loaded'}`)),
  );
  const dataBase = new URL('data/', document.baseURI).href;
  const result = Promise.race([api.quantize(req, dataBase, Comlink.proxy(progress)), stopped]).finally(() =>
    worker.terminate(),
  );
  return { result, cancel: () => stop(new Error(CANCELLED)) };
}
