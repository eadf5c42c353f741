import { describe, expect, it } from 'vitest';
import { heatRows } from './ContributionHeatMap';

describe('contribution heat map rows', () => {
  it('shows each conv its marginal bias gain and its weight gains by ratio (null where not allowed)', () => {
    const space = [
      { conv: 7, name: 'a' },
      { conv: 8, name: 'b' },
    ];
    const gains = {
      bias: [0, 0.25, 0.375],
      weight: [
        { conv: 7, ratio: 1 as const, gain: 0.5 },
        { conv: 7, ratio: 0.5 as const, gain: -0.125 },
        { conv: 8, ratio: 0.125 as const, gain: 0.0625 },
      ],
    };
    expect(heatRows(space, gains)).toEqual([
      // conv 7 is the second-to-last: its bias is the last 2 biases minus the last 1
      { conv: 7, name: 'a', cells: [0.125, 0.5, -0.125, null, null] },
      { conv: 8, name: 'b', cells: [0.25, null, null, null, 0.0625] },
    ]);
  });
});
