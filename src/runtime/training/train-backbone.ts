/**
 * Backbones for fine-tuning: reads a model file (public/models/<model>.json + .bin) through any byte fetcher.
 * The transfer model itself (pretrained layers + a fresh classifier) is built by the compiler
 * (src/compiler/models/transfer.ts), so the page, the CLI and the experiments build the same one.
 */
import { parseModelFile, type ModelFile } from '../../compiler/model-file';

export type ByteFetcher = (url: string) => Promise<Uint8Array>;

/** Reads `<base>/<model>.json` and its blob. */
export async function fetchModelFile(base: string, model: string, get: ByteFetcher): Promise<ModelFile> {
  const manifest = JSON.parse(new TextDecoder().decode(await get(`${base}/${model}.json`))) as unknown;
  return parseModelFile(manifest, await get(`${base}/${model}.bin`));
}

export { LOGIT_RANGE, transferModel, type TransferOptions } from '../../compiler/models/transfer';
