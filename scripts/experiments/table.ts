/**
 * Aggregation and printing for the transfer experiments (transfer.ts): runs of one row over several seeds
 * become mean, sample standard deviation and range of the final test accuracy; the table prints each row with
 * the memory of its int8 plan next to it, and the findings compare rows the way the paper does (QAS vs fp32,
 * the three roundings, sparse vs full / last-k at a fraction of the memory).
 */
import type { HeadlessResult } from '../../src/cli/train-run';

/** One configuration of the experiment. */
export interface Row {
  id: string;
  label: string;
  scheme: string;
  engine: 'wasm' | 'fp32';
  rounding: 'truncate' | 'nearest' | 'stochastic';
  qas: boolean;
  /** Which comparison group the row belongs to, for the findings. */
  group: 'precision' | 'rounding' | 'scheme';
}

export interface RowStats {
  row: Row;
  runs: HeadlessResult[];
  mean: number;
  std: number;
  min: number;
  max: number;
  peakSramBytes: number;
  trainableSramBytes: number;
  paperBudgetBytes: number;
  samplesPerSec: number;
}

export function stats(row: Row, runs: HeadlessResult[]): RowStats {
  const acc = runs.map((r) => r.finalTestAccuracy);
  const mean = acc.reduce((a, b) => a + b, 0) / acc.length;
  const std = acc.length > 1 ? Math.sqrt(acc.reduce((a, b) => a + (b - mean) ** 2, 0) / (acc.length - 1)) : 0;
  const p = runs[0].plan;
  return {
    row,
    runs,
    mean,
    std,
    min: Math.min(...acc),
    max: Math.max(...acc),
    peakSramBytes: p.peakSramBytes,
    trainableSramBytes: p.trainableSramBytes,
    paperBudgetBytes: p.paperBudgetBytes,
    samplesPerSec: runs.reduce((a, r) => a + r.samplesPerSec, 0) / runs.length,
  };
}

const pts = (x: number) => (100 * x).toFixed(2);
const kb = (b: number) => (b / 1024).toFixed(1);

/** The markdown table: one line per row. */
export function markdownTable(rows: RowStats[]): string {
  const head = [
    '| configuration | scheme | test accuracy % (mean ± std) | min – max | seeds | peak SRAM KB (arena + trainable) | trainable KB | paper budget KB | samples/s (Node) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const lines = rows.map((s) => {
    const speed = s.row.engine === 'fp32' ? `${s.samplesPerSec.toFixed(1)} (TS fp32)` : s.samplesPerSec.toFixed(0);
    const mem = s.row.engine === 'fp32' ? `(${kb(s.peakSramBytes)} as int8)` : kb(s.peakSramBytes);
    return `| ${s.row.label} | \`${s.runs[0].scheme}\` | **${pts(s.mean)}** ± ${pts(s.std)} | ${pts(s.min)} – ${pts(s.max)} | ${s.runs.length} | ${mem} | ${kb(s.trainableSramBytes)} | ${kb(s.paperBudgetBytes)} | ${speed} |`;
  });
  return [...head, ...lines].join('\n');
}

const diff = (a: RowStats, b: RowStats) => `${(100 * (a.mean - b.mean)).toFixed(2)} points`;

/** The paper's comparisons, computed from the rows present (rows missing from the run are skipped). */
export function findings(rows: RowStats[]): string[] {
  const by = new Map(rows.map((s) => [s.row.id, s]));
  const out: string[] = [];
  const fp32 = by.get('fp32');
  if (fp32) {
    for (const id of ['qas-nearest', 'qas-truncate', 'qas-stochastic', 'noqas-nearest', 'noqas-truncate']) {
      const r = by.get(id);
      if (r) out.push(`${r.row.label} vs fp32: ${diff(r, fp32)} (${pts(r.mean)}% vs ${pts(fp32.mean)}%)`);
    }
  }
  const dense = rows.filter((s) => s.row.engine === 'wasm' && /^(full|last:\d+)$/.test(s.runs[0].scheme));
  const sparse = rows.filter(
    (s) =>
      s.row.engine === 'wasm' && s.runs[0].scheme.startsWith('paper:') && s.row.qas && s.row.rounding === 'nearest',
  );
  if (dense.length && sparse.length) {
    const best = dense.reduce((a, b) => (b.mean > a.mean ? b : a));
    for (const s of sparse) {
      const ratio = best.peakSramBytes / s.peakSramBytes;
      out.push(
        `${s.runs[0].scheme} vs the best full / last-k update (${best.runs[0].scheme}): ${diff(s, best)} at ` +
          `${kb(s.peakSramBytes)} KB vs ${kb(best.peakSramBytes)} KB peak SRAM (${ratio.toFixed(1)}x less memory)`,
      );
    }
  }
  return out;
}
