import { describe, expect, it } from 'vitest';
import type { HeadlessResult } from '../../src/cli/train-run';
import { findings, markdownTable, stats, type Row } from './table';
import { rowsFor } from './transfer';

function run(scheme: string, acc: number, peak: number): HeadlessResult {
  return {
    scheme,
    finalTestAccuracy: acc,
    samplesPerSec: 100,
    plan: {
      arenaBytes: peak - 1000,
      peakSramBytes: peak,
      trainableSramBytes: 1000,
      paperBudgetBytes: 500,
      planSteps: 10,
    },
  } as HeadlessResult;
}

const row = (id: string, scheme: string, engine: Row['engine'] = 'wasm'): Row => ({
  id,
  label: id,
  scheme,
  engine,
  rounding: 'nearest',
  qas: true,
  group: 'scheme',
});

describe('experiment table', () => {
  it('aggregates seeds into mean, sample std and range', () => {
    const s = stats(row('full', 'full'), [run('full', 0.9, 2e6), run('full', 0.94, 2e6), run('full', 0.92, 2e6)]);
    expect(s.mean).toBeCloseTo(0.92, 12);
    expect(s.std).toBeCloseTo(0.02, 12);
    expect([s.min, s.max]).toEqual([0.9, 0.94]);
  });

  it('prints one line per row with memory, and the paper comparisons', () => {
    const rows = [
      stats(row('fp32', 'paper:99kb', 'fp32'), [run('paper:99kb', 0.95, 200 * 1024)]),
      stats(row('qas-nearest', 'paper:99kb'), [run('paper:99kb', 0.948, 200 * 1024)]),
      stats(row('full', 'full'), [run('full', 0.96, 2000 * 1024)]),
      stats(row('last-4', 'last:4'), [run('last:4', 0.93, 300 * 1024)]),
    ];
    const table = markdownTable(rows).split('\n');
    expect(table).toHaveLength(6);
    expect(table[3]).toBe(
      '| qas-nearest | `paper:99kb` | **94.80** ± 0.00 | 94.80 – 94.80 | 1 | 200.0 | 1.0 | 0.5 | 100 |',
    );
    expect(table[2]).toContain('(200.0 as int8)');
    expect(findings(rows)).toEqual([
      'qas-nearest vs fp32: -0.20 points (94.80% vs 95.00%)',
      'paper:99kb vs the best full / last-k update (full): -1.20 points at 200.0 KB vs 2000.0 KB peak SRAM (10.0x less memory)',
    ]);
  });

  it('has the issue rows for mcunet-5fps: fp32, QAS on/off, three roundings, published, last-k and full', () => {
    const ids = rowsFor('mcunet-5fps').map((r) => r.id);
    for (const id of [
      'fp32',
      'qas-nearest',
      'noqas-nearest',
      'qas-truncate',
      'qas-stochastic',
      'paper-49kb',
      'paper-148kb',
      'last-4',
      'full',
    ]) {
      expect(ids).toContain(id);
    }
    expect(
      rowsFor('mcunet-5fps')
        .filter((r) => r.group === 'precision')
        .every((r) => r.scheme === 'paper:99kb'),
    ).toBe(true);
  });
});
