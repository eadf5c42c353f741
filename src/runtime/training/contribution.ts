/**
 * Contribution analysis (PAPER-FACTS section 3) on the user's task: short int8 fine-tuning runs of one model,
 * each scored on a validation split carved from the training data (never the test split):
 *   - classifier only, and the last k biases for k = 1..maxBias: bias gain[k] = acc(bias:k) - acc(classifier);
 *   - conv i's weight at ratio r on top of all the space's biases: weight gain = acc(bias:K;w:i@r) - acc(bias:K).
 * The runs are independent (each starts from the same model, seed and example order), so they can be split
 * into shards and run anywhere; `gainsFromRuns` needs only their scores. Worker- and Node-safe (no node: APIs).
 */
import { compile } from '../../compiler/compile';
import type { Model } from '../../compiler/models/model';
import type { PlanOptions } from '../../compiler/plan';
import type { GainsTable, WeightGain } from '../../compiler/search/gains';
import { emptyGenome, genomeText, type SearchSpace } from '../../compiler/search/space';
import type { RunSettings } from '../../compiler/settings';
import type { DatasetSplit } from './data';
import { PlanExecutor } from '../kernels/executor';
import { splitExamples, type InputSpec } from './train-data';
import { TrainingSession, type ExampleSource } from './train-session';
import type { KernelModule } from '../kernels/wasm';
import { PrefixCachedLearner, type PrefixCache } from './prefix-cache';

/** One contribution run: a scheme (canonical text) and what it measures. */
export interface ContributionRun {
  scheme: string;
  /** 'bias' with the bias count k, or 'weight' with conv and ratio. */
  role: { kind: 'bias'; k: number } | { kind: 'weight'; conv: number; ratio: number };
}

/** The validation score of a run. */
export interface RunScore {
  scheme: string;
  accuracy: number;
  loss: number;
  examples: number;
}

export interface ContributionSettings extends RunSettings {
  /** Training steps of every run (batch 1). */
  steps: number;
}

/** The runs of a space in a fixed order: bias counts 0..maxBias, then each layer's non-zero ratios. */
export function contributionRuns(space: SearchSpace): ContributionRun[] {
  const runs: ContributionRun[] = [];
  const none = emptyGenome(space);
  for (let k = 0; k <= space.maxBias; k++)
    runs.push({ scheme: genomeText(space, { ...none, bias: k }), role: { kind: 'bias', k } });
  space.layers.forEach((l, j) => {
    for (let v = 1; v < l.ratios.length; v++) {
      const ratio = none.ratio.slice();
      ratio[j] = v;
      const scheme = genomeText(space, { bias: space.maxBias, ratio });
      runs.push({ scheme, role: { kind: 'weight', conv: l.conv, ratio: l.ratios[v] } });
    }
  });
  return runs;
}

/** The gains table from the runs' scores (every run of the space must be scored; throws naming a missing one). */
export function gainsFromRuns(space: SearchSpace, scores: readonly RunScore[]): GainsTable {
  const acc = new Map(scores.map((s) => [s.scheme, s.accuracy]));
  const of = (scheme: string) => {
    const a = acc.get(scheme);
    if (a === undefined) throw new Error(`no score for the contribution run "${scheme}"`);
    return a;
  };
  const runs = contributionRuns(space);
  const base = of(runs[0].scheme);
  const biasOnly = of(runs[space.maxBias].scheme);
  const bias: number[] = [];
  const weight: WeightGain[] = [];
  for (const r of runs) {
    if (r.role.kind === 'bias') bias.push(of(r.scheme) - base);
    else weight.push({ conv: r.role.conv, ratio: r.role.ratio as WeightGain['ratio'], gain: of(r.scheme) - biasOnly });
  }
  return { bias, weight };
}

/** The training split without its last `validation` examples, and those examples (the validation split). */
export function carveValidation(
  train: DatasetSplit,
  input: InputSpec,
  validation: number,
): { train: ExampleSource; validation: ExampleSource } {
  if (!(Number.isInteger(validation) && validation >= 1 && validation < train.count))
    throw new RangeError(
      `the validation split needs 1 to ${train.count - 1} examples of the ${train.count}, not ${validation}`,
    );
  const n = train.count - validation;
  return { train: splitExamples(train, input, 0, n), validation: splitExamples(train, input, n, validation) };
}

/**
 * Fine-tunes `scheme` for settings.steps steps on `train` and scores it on `validation`. With `prefixCache`
 * (one per pair of data sources; prefix-cache.ts) the frozen prefix of images seen before is not recomputed:
 * the score is bit-identical either way.
 */
export function runContribution(
  kernels: KernelModule,
  model: Model,
  scheme: string,
  settings: ContributionSettings,
  data: { train: ExampleSource; validation: ExampleSource },
  options: Partial<PlanOptions> = {},
  prefixCache?: PrefixCache,
): RunScore {
  const plan = compile(model, scheme, options);
  const executor = PlanExecutor.load(kernels, plan, settings, { guardBytes: 64 });
  try {
    const learner = prefixCache ? new PrefixCachedLearner(executor, prefixCache) : executor;
    const session = new TrainingSession(learner, data.train, data.validation, plan.input.bytes, settings.seed);
    session.trainSteps(settings.steps);
    const e = session.evaluate();
    const canaries = executor.checkCanaries();
    if (canaries.before + canaries.after > 0) throw new Error(`run "${scheme}" overwrote the arena's canaries`);
    return { scheme: plan.scheme, accuracy: e.accuracy, loss: e.loss, examples: e.examples };
  } finally {
    executor.dispose();
  }
}
