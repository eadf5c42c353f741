import { describe, expect, it, vi } from 'vitest';
import { compile } from '../compiler/compile';
import { buildModel } from '../compiler/models/model';
import type { TrainingMetrics, TrainingRuntime } from '../runtime/training/training-api';

/** A runtime whose background loop fails on demand, as the worker's does (TrainRunner.start's `stopped`). */
const fake = vi.hoisted(() => {
  const state = {
    metrics: new Set<(m: TrainingMetrics) => void>(),
    errors: new Set<(message: string) => void>(),
    starts: 0,
  };
  return state;
});

vi.mock('../runtime/training/training-client', () => ({
  createTrainingRuntime: (): TrainingRuntime => ({
    load: async () => undefined,
    configure: async () => undefined,
    start: async () => {
      fake.starts++;
    },
    pause: async () => undefined,
    step: async (n) => ({ step: n, loss: 1, accuracy: 0, samplesPerSec: 1 }),
    reset: async () => undefined,
    setUserData: async () => undefined,
    snapshot: async () => ({ step: 0, trainable: [] }),
    samples: async () => ({ source: 'none', classNames: null, samples: [] }),
    onMetrics: (cb) => (fake.metrics.add(cb), () => fake.metrics.delete(cb)),
    onError: (cb) => (fake.errors.add(cb), () => fake.errors.delete(cb)),
    dispose: () => undefined,
  }),
}));

const { useTraining } = await import('./training');

describe('training state', () => {
  it('a background training error stops the run visibly, with its message, while no call is pending', async () => {
    const plan = compile(buildModel({ model: 'tiny-cnn', resolution: 16, classes: 4 }), 'classifier');
    const settings = { lr: 0.01, rounding: 'nearest' as const, qas: true, seed: 1 };
    const weights = {
      status: 'ready' as const,
      origin: 'backbone' as const,
      fileName: 'models/tiny-cnn',
      checksum: '0',
    };
    await useTraining.getState().sync(plan, settings, weights);
    await useTraining.getState().start();
    expect(fake.starts).toBe(1);
    expect(useTraining.getState().status).toBe('running');
    fake.metrics.forEach((cb) => cb({ step: 40, loss: 0.5, accuracy: 0.5, samplesPerSec: 100 }));
    fake.errors.forEach((cb) => cb('tt_conv_s8: memory access out of bounds'));
    expect(useTraining.getState()).toMatchObject({
      status: 'error',
      message: 'training stopped: tt_conv_s8: memory access out of bounds',
    });
    expect(useTraining.getState().history.at(-1)?.step).toBe(40);
  });
});

describe('start before the weights arrive', () => {
  it('is remembered and starts the run once the backbone has loaded (not dropped)', async () => {
    const plan = compile(buildModel({ model: 'tiny-cnn', resolution: 16, classes: 4 }), 'last:2');
    const settings = { lr: 0.01, rounding: 'nearest' as const, qas: true, seed: 2 };
    const base = { origin: 'backbone' as const, fileName: 'models/tiny-cnn', checksum: '0' };
    await useTraining.getState().pause();
    const before = fake.starts;
    await useTraining.getState().sync(plan, settings, { ...base, status: 'loading' });
    await useTraining.getState().start();
    expect(fake.starts).toBe(before);
    expect(useTraining.getState()).toMatchObject({ status: 'loading', message: /waiting for the pretrained backbone/ });
    await useTraining.getState().sync(plan, settings, { ...base, status: 'ready' });
    expect(fake.starts).toBe(before + 1);
    expect(useTraining.getState().status).toBe('running');
  });
});
