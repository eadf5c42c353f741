/**
 * Backbones for fine-tuning, shared by the worker, the CLI and the experiments: reads a pretrained model file
 * (public/models/<model>.json + .bin) through any byte fetcher, and builds the transfer model of the default
 * task - the pretrained backbone with a FRESH classifier for the target classes. buildModel keeps the file's
 * classifier when the class counts match (Fashion-MNIST -> MNIST: 10 and 10), so the file is handed over
 * with its class count hidden, which makes buildModel initialize the classifier from the seed.
 */
import { parseModelFile, type ModelFile } from '../compiler/model-file';
import { buildModel, type Model } from '../compiler/models/model';

export type ByteFetcher = (url: string) => Promise<Uint8Array>;

/** Reads `<base>/<model>.json` and its blob. */
export async function fetchModelFile(base: string, model: string, get: ByteFetcher): Promise<ModelFile> {
  const manifest = JSON.parse(new TextDecoder().decode(await get(`${base}/${model}.json`))) as unknown;
  return parseModelFile(manifest, await get(`${base}/${model}.bin`));
}

export interface TransferOptions {
  model: string;
  resolution: number;
  classes: number;
  /** The pretrained backbone, or null for the seeded random initialization. */
  pretrained: ModelFile | null;
  /** Seed of the fresh classifier (and of every layer without a pretrained file). */
  seed: number;
}

/** The model fine-tuning starts from: pretrained layers, a freshly initialized classifier. */
export function transferModel(o: TransferOptions): Model {
  const pretrained = o.pretrained ? { ...o.pretrained, classes: -1 } : undefined;
  return buildModel({ model: o.model, resolution: o.resolution, classes: o.classes, pretrained, seed: o.seed });
}
