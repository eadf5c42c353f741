/**
 * Feeds the training store the page's compiled plan (weights included) and knobs whenever they change, and lets
 * the playground ask how many steps a run has trained before an edit discards it.
 */
import type { TrainingSettings } from '../runtime/training-api';
import type { Experiment } from './experiment';
import { setTrainedStepsProbe, usePlayground } from './playground';
import { trainedSteps, useTraining } from './training';

function settingsOf(e: Experiment): TrainingSettings {
  return { lr: e.lr, rounding: e.rounding, qas: e.qas, seed: e.seed };
}

export function startTrainingSync(): () => void {
  setTrainedStepsProbe(trainedSteps);
  const push = () => {
    const { compiled, experiment: e } = usePlayground.getState();
    void useTraining.getState().sync(compiled.plan, settingsOf(e), compiled.weights);
  };
  push();
  const stop = usePlayground.subscribe((s, prev) => {
    const e = s.experiment;
    const p = prev.experiment;
    const knobs = e.lr !== p.lr || e.rounding !== p.rounding || e.qas !== p.qas || e.seed !== p.seed;
    if (s.compiled.plan !== prev.compiled.plan || s.compiled.weights !== prev.compiled.weights || knobs) push();
  });
  return () => {
    stop();
    setTrainedStepsProbe(() => 0);
  };
}
