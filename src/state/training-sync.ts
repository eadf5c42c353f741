/** Feeds the training store the current plan and knobs whenever they change. */
import { runSettingsOf, sameRunSettings } from '../compiler/settings';
import { usePlayground } from './playground';
import { useTraining } from './training';

export function startTrainingSync(): () => void {
  const push = () => {
    const { compiled, experiment: e } = usePlayground.getState();
    const spec = compiled.plan
      ? {
          model: e.model,
          resolution: e.resolution,
          scheme: compiled.schemeText,
          classes: e.classes,
          pretrained: true,
          seed: e.seed,
          options: { reorder: e.reorder, fusion: e.fusion, split: e.split },
        }
      : undefined;
    void useTraining.getState().sync(compiled.plan, runSettingsOf(e), spec);
  };
  push();
  return usePlayground.subscribe((s, prev) => {
    const knobs = !sameRunSettings(s.experiment, prev.experiment);
    if (s.compiled.plan !== prev.compiled.plan || knobs) push();
  });
}
