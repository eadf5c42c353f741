/**
 * The table of the imported-model search (imported-search.ts): per budget, the searched scheme against the best
 * last-k that fits, each a Cell of test runs (search-choice.ts). Pure, so it is tested.
 */
import type { Cell } from './search-choice';

export interface ImportedRow {
  budgetBytes: number;
  searched: Cell;
  lastK: Cell;
}

const pct = (x: number) => (100 * x).toFixed(2);
const kb = (b: number) => (b / 1024).toFixed(1);

function show(c: Cell, seeds: number): string {
  const few = c.accuracies.length < seeds ? `, **${c.accuracies.length} of ${seeds} seeds**` : '';
  return `${pct(c.mean)} ± ${pct(c.std)} (\`${c.scheme}\`, ${kb(c.peakSramBytes)} KB, lr ${c.lr}${few})`;
}

/** Searched vs last-k: "beats" (higher mean), "matches" (the same mean), "within 1 std of" (the last-k's std) or
 * "below", and the difference; and when both columns chose the same scheme. */
export function importedVerdict(r: ImportedRow): string {
  const d = r.searched.mean - r.lastK.mean;
  const word = d > 0 ? 'beats' : d === 0 ? 'matches' : d >= -r.lastK.std ? 'within 1 std of' : 'below';
  const same = r.searched.scheme === r.lastK.scheme ? ' (the same scheme)' : '';
  return `${word} last-k (${d >= 0 ? '+' : ''}${pct(d)} points)${same}`;
}

/** The markdown table (`seeds`: how many runs each cell should have; fewer are flagged). */
export function importedTable(rows: ImportedRow[], seeds = 3): string {
  const lines = [
    '| budget (peak SRAM) | searched: test acc. % (mean ± std) | best last-k that fits | searched vs last-k |',
    '|---|---|---|---|',
  ];
  for (const r of rows)
    lines.push(
      `| ${kb(r.budgetBytes)} KB | ${show(r.searched, seeds)} | ${show(r.lastK, seeds)} | ${importedVerdict(r)} |`,
    );
  return lines.join('\n');
}
