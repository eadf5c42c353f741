import { describe, expect, it } from 'vitest';
import type { TrainingPlan } from '../compiler/plan';
import { planKernels } from './wasm-text';

describe('planKernels', () => {
  it('lists each kernel of the training and evaluation steps once, sorted', () => {
    const step = (kernel: string) => ({ kernel });
    const plan = {
      steps: [step('tt_pointwise_s8'), step('tt_add_s8'), step('tt_pointwise_s8')],
      inference: { steps: [step('tt_fc_s8'), step('tt_add_s8')] },
    } as unknown as TrainingPlan;
    expect(planKernels(plan)).toEqual(['tt_add_s8', 'tt_fc_s8', 'tt_pointwise_s8']);
  });
});
