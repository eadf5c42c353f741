import { describe, expect, it } from 'vitest';
import { importedTable, importedVerdict, type ImportedRow } from './imported-table';
import { cell } from './search-choice';

const runs = (scheme: string, peak: number, acc: number[]) =>
  acc.map((accuracy, i) => ({ scheme, lr: 0.03, seed: i + 1, accuracy, peakSramBytes: peak }));

describe('imported-model table', () => {
  const row: ImportedRow = {
    budgetBytes: 16 * 1024,
    searched: cell(runs('bias:3;w:2@1/2', 15_000, [0.9, 0.92, 0.94]), true),
    lastK: cell(runs('last:2', 14_745, [0.88, 0.9]), true),
  };

  it('prints mean ± std, the scheme, its peak and lr, and flags missing seeds', () => {
    const t = importedTable([row], 3).split('\n');
    expect(t).toHaveLength(3);
    expect(t[2]).toBe(
      '| 16.0 KB | 92.00 ± 2.00 (`bias:3;w:2@1/2`, 14.6 KB, lr 0.03) | 89.00 ± 1.41 (`last:2`, 14.4 KB, lr 0.03, **2 of 3 seeds**) | beats last-k (+3.00 points) |',
    );
  });

  it('says below or within one last-k std, and when both columns chose the same scheme', () => {
    const lower = { ...row, searched: cell(runs('last:2', 14_745, [0.885, 0.885, 0.885]), true) };
    expect(importedVerdict(lower)).toBe('within 1 std of last-k (-0.50 points) (the same scheme)');
    const far = { ...row, searched: cell(runs('bias:1', 9_000, [0.5, 0.5, 0.5]), true) };
    expect(importedVerdict(far)).toBe('below last-k (-39.00 points)');
    const same = { ...row, searched: row.lastK };
    expect(importedVerdict(same)).toBe('matches last-k (+0.00 points) (the same scheme)');
  });
});
