/**
 * Backbones for fine-tuning, shared by the worker, the CLI and the experiments: reads a pretrained model file
 * (public/models/<model>.json + .bin) through any byte fetcher, and builds the transfer model of the default
 * task - the pretrained backbone with a FRESH classifier for the target classes. buildModel keeps the file's
 * classifier when the class counts match (Fashion-MNIST -> MNIST: 10 and 10), so the file is handed over
 * with its class count hidden, which makes buildModel initialize the classifier from the seed.
 *
 * The fresh classifier's int8 logits get a fixed range of +-LOGIT_RANGE. buildModel sizes it from the
 * initial (tiny, random) logits - about +-2.5 on the mcunet-5fps backbone - so fine-tuning soon pushes every
 * logit against the clamp: the softmax goes flat (loss ln 10), the clamp mask stops every gradient and
 * training dies. The pretrained classifiers end with ranges of about +-10 to +-16.
 */
import { parseModelFile, type ModelFile } from '../compiler/model-file';
import { buildModel, type Model } from '../compiler/models/model';
import { rangeQParams } from '../compiler/quant';

/** Real range (+-) of the fresh classifier's int8 logits. */
export const LOGIT_RANGE = 16;

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
  const m = buildModel({ model: o.model, resolution: o.resolution, classes: o.classes, pretrained, seed: o.seed });
  // a new layer object (not a mutation): the compiler caches per-layer constants by layer identity
  return { ...m, classifier: { ...m.classifier, output: rangeQParams(-LOGIT_RANGE, LOGIT_RANGE) } };
}
