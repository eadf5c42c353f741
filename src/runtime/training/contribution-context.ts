/**
 * What one pool worker holds for a search: the kernels, the model, the run settings and the data (the
 * training split without its last `validation` examples, and those as the validation split; the test split is
 * never read), plus a frozen-prefix cache for that data (prefix-cache.ts). The training web worker, the bench's
 * worker_threads and the tests all run contribution runs through this class, so they do the same calls.
 */
import type { Model } from '../../compiler/models/model';
import type { PlanOptions } from '../../compiler/plan';
import type { KernelModule } from '../kernels/wasm';
import { carveValidation, runContribution, type ContributionSettings, type RunScore } from './contribution';
import type { DatasetSplit } from './data';
import { PrefixCache } from './prefix-cache';
import { firstClasses, modelInputSpec } from './train-data';
import type { ExampleSource } from './train-session';

/** Everything a run's score depends on besides the scheme and the data (structured-cloneable). */
export interface ContributionJob {
  model: Model;
  settings: ContributionSettings;
  /** Validation examples: the last ones of the training split. */
  validation: number;
  options: Partial<PlanOptions>;
  /** Cache frozen-prefix outputs per image (bit-identical either way; off for the bench's comparison). */
  prefixCache: boolean;
}

export class ContributionContext {
  private readonly data: { train: ExampleSource; validation: ExampleSource };
  readonly cache: PrefixCache | undefined;

  constructor(
    private readonly kernels: KernelModule,
    private readonly job: ContributionJob,
    train: DatasetSplit,
  ) {
    const m = job.model;
    const carved = carveValidation(train, modelInputSpec(m), job.validation);
    // a model with fewer classes than the data set trains on the examples of its first classes
    this.data =
      m.classes >= train.manifest.classes.length
        ? carved
        : { train: firstClasses(carved.train, m.classes), validation: firstClasses(carved.validation, m.classes) };
    if (this.data.train.size === 0 || this.data.validation.size === 0)
      throw new Error(`no training or validation examples of the first ${m.classes} classes`);
    this.cache = job.prefixCache ? new PrefixCache() : undefined;
  }

  /** Fine-tunes and scores `scheme` with the job's settings, for `steps` steps if given (the search's finalists). */
  run(scheme: string, steps?: number): RunScore {
    const j = this.job;
    const settings = steps === undefined ? j.settings : { ...j.settings, steps };
    return runContribution(this.kernels, j.model, scheme, settings, this.data, j.options, this.cache);
  }
}
