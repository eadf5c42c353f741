/** Feeds the training store the current plan and knobs whenever they change. */
import type { TrainingSettings } from '../runtime/training-api';
import type { Experiment } from './experiment';
import { usePlayground } from './playground';
import { useTraining } from './training';

function settingsOf(e: Experiment): TrainingSettings {
  return { lr: e.lr, rounding: e.rounding, qas: e.qas, seed: e.seed };
}

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
    void useTraining.getState().sync(compiled.plan, settingsOf(e), spec);
  };
  push();
  return usePlayground.subscribe((s, prev) => {
    const e = s.experiment;
    const p = prev.experiment;
    const knobs = e.lr !== p.lr || e.rounding !== p.rounding || e.qas !== p.qas || e.seed !== p.seed;
    if (s.compiled.plan !== prev.compiled.plan || knobs) push();
  });
}
