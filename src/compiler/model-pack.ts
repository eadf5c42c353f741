/**
 * A model file as ONE file the user can download and open again: a zip holding the manifest (model.json) and
 * its blob (model.bin), the pair parseModelFile reads (model-file.ts). The page saves a trained model this way;
 * the page and the CLI (--pretrained / --weights) open it. fflate (pinned) does the zip, in the browser and Node.
 */
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { ModelFileError, parseModelFile, writeModelFile, type ModelFile } from './model-file';

export const MODEL_PACK_SUFFIX = '.tinytrain.zip';
/** Larger files are refused before unzipping (the built-in backbones are under 1 MB). */
export const MAX_MODEL_PACK_BYTES = 50 * 1024 * 1024;
const FIXED_DATE = new Date(Date.UTC(2024, 0, 1));

/** The zip bytes of a model file (deterministic: fixed timestamps). */
export function packModelFile(file: ModelFile): Uint8Array {
  const { manifest, bin } = writeModelFile(file);
  return zipSync({
    'model.json': [strToU8(JSON.stringify(manifest, null, 1)), { level: 6, mtime: FIXED_DATE }],
    'model.bin': [bin, { level: 6, mtime: FIXED_DATE }],
  });
}

/** Reads a model zip; throws ModelFileError with a one-line reason for anything that is not one. */
export function unpackModelFile(bytes: Uint8Array, fileName = 'the file'): ModelFile {
  if (bytes.byteLength > MAX_MODEL_PACK_BYTES)
    throw new ModelFileError(`${fileName} is ${(bytes.byteLength / 1048576).toFixed(1)} MB; the limit is 50 MB`);
  if (bytes.byteLength < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b)
    throw new ModelFileError(`${fileName} is not a TinyTrain model (expected a ${MODEL_PACK_SUFFIX} zip)`);
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => f.name === 'model.json' || f.name === 'model.bin' });
  } catch (e) {
    throw new ModelFileError(`${fileName} is a damaged zip (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!files['model.json'] || !files['model.bin'])
    throw new ModelFileError(`${fileName} has no model.json and model.bin inside`);
  return parseModelFile(strFromU8(files['model.json']), files['model.bin']);
}

/** SHA-256 of bytes as hex (Web Crypto: the browser and Node 20 both have it). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
