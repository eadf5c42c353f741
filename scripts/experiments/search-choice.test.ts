import { describe, expect, it } from 'vitest';
import {
  budgetTable,
  cell,
  fittingLastK,
  nearestPublished,
  pickOnValidation,
  validationTable,
  verdict,
} from './search-choice';

const p = (scheme: string, kb: number) => ({ scheme, peakSramBytes: kb * 1024 });

describe('budget table choices', () => {
  const published = [p('paper:49kb', 148.5), p('paper:74kb', 172.1), p('paper:148kb', 245.2)];

  it('takes the published scheme of largest peak that fits, or the smallest one flagged over budget', () => {
    expect(nearestPublished(published, 192 * 1024)).toEqual({ ...published[1], fits: true });
    expect(nearestPublished(published, 256 * 1024)).toEqual({ ...published[2], fits: true });
    expect(nearestPublished(published, 128 * 1024)).toEqual({ ...published[0], fits: false });
  });

  it('lists the last-k that fit, stopping at the first that does not', () => {
    const lastK = [p('classifier', 85.6), p('last:1', 176.2), p('last:2', 183.5), p('last:3', 300), p('last:4', 190)];
    expect(fittingLastK(lastK, 160 * 1024).map((x) => x.scheme)).toEqual(['classifier']);
    expect(fittingLastK(lastK, 256 * 1024).map((x) => x.scheme)).toEqual(['classifier', 'last:1', 'last:2']);
  });

  it('picks scheme and learning rate on validation accuracy only', () => {
    const runs = [
      { scheme: 'a', lr: 0.1, accuracy: 0.8 },
      { scheme: 'a', lr: 0.01, accuracy: 0.8 },
      { scheme: 'b', lr: 0.03, accuracy: 0.85 },
    ];
    expect(pickOnValidation(runs, ['a'])).toEqual(runs[1]); // a tie goes to the smaller rate
    expect(pickOnValidation(runs, ['a', 'b'])).toEqual(runs[2]);
    expect(() => pickOnValidation(runs, ['c'])).toThrow(/no validation runs/);
  });

  it('averages each rate over the validation seeds: a rate one seed diverges at loses', () => {
    const runs = [
      { scheme: 'a', lr: 0.03, seed: 1, accuracy: 0.86 },
      { scheme: 'a', lr: 0.1, seed: 1, accuracy: 0.88 },
      { scheme: 'a', lr: 0.03, seed: 2, accuracy: 0.85 },
      { scheme: 'a', lr: 0.1, seed: 2, accuracy: 0.1 },
    ];
    expect(pickOnValidation(runs.slice(0, 2), ['a']).lr).toBe(0.1); // seed 1 alone picks the edge
    expect(pickOnValidation(runs, ['a'])).toEqual({ scheme: 'a', lr: 0.03, accuracy: 0.855 });
    expect(validationTable(runs, [0.03, 0.1]).split('\n')[2]).toBe(
      '| `a` | **85.50 (86.00, 85.00)** | 49.00 (88.00, 10.00) |',
    );
  });

  it('summarizes the seeds and says how the searched scheme compares', () => {
    const t = (scheme: string, accs: number[]) =>
      cell(
        accs.map((accuracy, seed) => ({ scheme, lr: 0.03, seed, accuracy, peakSramBytes: 100 * 1024 })),
        true,
      );
    const s = t('s', [0.9, 0.92, 0.94]);
    expect(s.mean).toBeCloseTo(0.92, 12);
    expect(s.std).toBeCloseTo(0.02, 12);
    const row = {
      budgetBytes: 128 * 1024,
      searched: s,
      published: t('p', [0.93, 0.93, 0.93]),
      lastK: t('l', [0.8, 0.8, 0.8]),
    };
    expect(verdict(row)).toBe('below published (-1.00); beats last-k (+12.00)');
    const close = { ...row, published: t('p', [0.91, 0.93, 0.95]) };
    expect(verdict(close)).toBe('within 1 std of published (-1.00); beats last-k (+12.00)');
    // the search may answer a published scheme (a finalist): the same runs, so it is that scheme, not a win
    expect(verdict({ ...row, searched: row.published })).toBe('is the published scheme; beats last-k (+13.00)');
    expect(verdict({ ...row, lastK: t('l', [0.9, 0.92, 0.94]) })).toBe(
      'below published (-1.00); matches last-k (+0.00)',
    );
    expect(budgetTable([row])).toContain('| 128.0 KB | 92.00 ± 2.00 (`s`, 100.0 KB, lr 0.03) |');
  });
});

describe('validation table', () => {
  it('shows each scheme at every rate with the chosen rate in bold, and a dash for a missing run', () => {
    const runs = [
      { scheme: 'a', lr: 0.01, accuracy: 0.5 },
      { scheme: 'a', lr: 0.1, accuracy: 0.75 },
      { scheme: 'b', lr: 0.01, accuracy: 0.6 },
    ];
    expect(validationTable(runs, [0.01, 0.1]).split('\n')).toEqual([
      '| scheme | lr 0.01 | lr 0.1 |',
      '|---|---|---|',
      '| `a` | 50.00 | **75.00** |',
      '| `b` | 60.00 | – |',
    ]);
  });
});
