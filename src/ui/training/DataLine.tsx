/**
 * The data line of the training panel: what the open plan trains on ("MNIST's 28x28 gray images resized to
 * 49x40, grayscale, ...; the first 4 of its 10 classes"), or, for a model whose input is not an image, why it
 * cannot train here (the training buttons are off then).
 */
import { useMemo } from 'react';
import type { InputFit } from '../../runtime/training/input-fit';
import { usePlayground } from '../../state/playground';
import { trainingDataFit } from '../../state/training-data';
import { useUserData } from '../../state/user-data';

/** The open plan's fit to the images it would train on (null without a plan). */
export function useTrainingDataFit(): InputFit | null {
  const plan = usePlayground((s) => s.compiled.plan);
  const user = useUserData((s) => s.classes.some((c) => c.samples.length > 0));
  return useMemo(() => trainingDataFit(plan, user), [plan, user]);
}

export function DataLine() {
  const fit = useTrainingDataFit();
  if (!fit) return null;
  return (
    <p className={`hint data-fit${fit.ok ? '' : ' refused'}`} data-testid="train.data" data-ok={String(fit.ok)}>
      {fit.ok ? `Trains on ${fit.text}.` : `Cannot train here: ${fit.reason}.`}
    </p>
  );
}
