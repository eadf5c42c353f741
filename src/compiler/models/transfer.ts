/**
 * The model fine-tuning starts from, shared by the page, the worker, the CLI and the experiments.
 *
 * A backbone file (public/models/<model>.json + .bin) gives every layer but the classifier, which is built
 * FRESH for the target classes from the seed. buildModel keeps the file's classifier when the class counts
 * match (Fashion-MNIST -> MNIST: 10 and 10), so the file is handed over with its class count hidden, which makes
 * buildModel initialize the classifier from the seed. A TRAINED model file (one the playground saved after
 * fine-tuning) keeps its classifier: it already holds what was learned for these classes.
 *
 * The fresh classifier's int8 logits get a fixed range of +-LOGIT_RANGE (init.ts). On a pretrained backbone
 * buildModel (and an imported model's assembleModel) already initializes it so (initClassifier); the seeded
 * random model sizes it from its tiny initial logits like any layer, so it is set here.
 */
import type { ModelFile } from '../model-file';
import { rangeQParams } from '../quant';
import { LOGIT_RANGE } from './init';
import { buildModel, type Model } from './model';

export { LOGIT_RANGE };

export interface TransferOptions {
  model: string;
  resolution: number;
  classes: number;
  /** The pretrained backbone, or null for the seeded random initialization. */
  pretrained: ModelFile | null;
  /** Seed of the fresh classifier (and of every layer without a pretrained file). */
  seed: number;
  /**
   * Keep the file's classifier when its class count equals `classes` (a model trained here and saved); by
   * default the classifier is always fresh (a backbone pretrained on another task).
   */
  keepClassifier?: boolean;
}

/** The model fine-tuning starts from: pretrained layers, a freshly initialized (or the file's trained) classifier. */
export function transferModel(o: TransferOptions): Model {
  const keep = o.keepClassifier === true && o.pretrained !== null && o.pretrained.classes === o.classes;
  const pretrained = o.pretrained ? (keep ? o.pretrained : { ...o.pretrained, classes: -1 }) : undefined;
  const m = buildModel({ model: o.model, resolution: o.resolution, classes: o.classes, pretrained, seed: o.seed });
  if (keep) return m;
  // a new layer object (not a mutation): the compiler caches per-layer constants by layer identity
  return { ...m, classifier: { ...m.classifier, output: rangeQParams(-LOGIT_RANGE, LOGIT_RANGE) } };
}
