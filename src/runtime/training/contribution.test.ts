import { describe, expect, it } from 'vitest';
import { buildModel } from '../../compiler/models/model';
import { searchSpace } from '../../compiler/search/space';
import { carveValidation, contributionRuns, gainsFromRuns } from './contribution';
import type { DatasetSplit } from './data';

const tiny = buildModel({ model: 'tiny-cnn', resolution: 32, classes: 10 });

describe('contribution analysis', () => {
  it('lists the bias counts, then every layer ratio on top of all the space biases', () => {
    const runs = contributionRuns(searchSpace(tiny, 2)).map((r) => r.scheme);
    expect(runs).toEqual([
      'classifier',
      'bias:1',
      'bias:2',
      'bias:2;w:7@1/8',
      'bias:2;w:7@1/4',
      'bias:2;w:7@1/2',
      'bias:2;w:7@1',
      'bias:2;w:8@1/8',
      'bias:2;w:8@1/4',
      'bias:2;w:8@1/2',
      'bias:2;w:8@1',
    ]);
    // conv 0 has 3 input channels: only ratio 1 is a run
    expect(
      contributionRuns(searchSpace(tiny)).filter((r) => r.role.kind === 'weight' && r.role.conv === 0).length,
    ).toBe(1);
  });

  it('turns validation accuracies into gains over classifier-only and over bias-only', () => {
    const space = searchSpace(tiny, 1);
    const acc: Record<string, number> = {
      classifier: 0.5,
      'bias:1': 0.625,
      'bias:1;w:8@1/8': 0.5,
      'bias:1;w:8@1/4': 0.75,
      'bias:1;w:8@1/2': 0.875,
      'last:1': 1,
    };
    const scores = Object.entries(acc).map(([scheme, accuracy]) => ({ scheme, accuracy, loss: 0, examples: 8 }));
    expect(gainsFromRuns(space, scores)).toEqual({
      bias: [0, 0.125],
      weight: [
        { conv: 8, ratio: 0.125, gain: -0.125 },
        { conv: 8, ratio: 0.25, gain: 0.125 },
        { conv: 8, ratio: 0.5, gain: 0.25 },
        { conv: 8, ratio: 1, gain: 0.375 },
      ],
    });
    expect(() => gainsFromRuns(space, scores.slice(1))).toThrow(/no score for the contribution run "classifier"/);
  });

  it('carves the validation split off the end of the training split', () => {
    const labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const split = { count: 10, label: (i: number) => labels[i] } as unknown as DatasetSplit;
    const input = { resolution: 8, channels: 1 };
    const { train, validation } = carveValidation(split, input, 3);
    expect([train.size, validation.size]).toEqual([7, 3]);
    expect([0, 1, 2].map((i) => validation.label(i))).toEqual([7, 8, 9]);
    expect(() => carveValidation(split, input, 10)).toThrow(/1 to 9/);
    expect(() => carveValidation(split, input, 0)).toThrow(/1 to 9/);
  });
});
