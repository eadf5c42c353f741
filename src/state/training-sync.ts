/**
 * Feeds the training store the page's compiled plan (weights included) and knobs whenever they change, and lets
 * the playground ask how many steps a run has trained before an edit discards it.
 */
import { runSettingsOf, sameRunSettings } from '../compiler/settings';
import { setTrainedStepsProbe, usePlayground } from './playground';
import { trainedSteps, useTraining } from './training';

export function startTrainingSync(): () => void {
  setTrainedStepsProbe(trainedSteps);
  const push = () => {
    const { compiled, experiment: e } = usePlayground.getState();
    void useTraining.getState().sync(compiled.plan, runSettingsOf(e), compiled.weights);
  };
  push();
  const stop = usePlayground.subscribe((s, prev) => {
    const knobs = !sameRunSettings(s.experiment, prev.experiment);
    if (s.compiled.plan !== prev.compiled.plan || s.compiled.weights !== prev.compiled.weights || knobs) push();
  });
  return () => {
    stop();
    setTrainedStepsProbe(() => 0);
  };
}
