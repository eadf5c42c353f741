/**
 * The choices of the budget table (search-table.ts), pure so they are tested: which published scheme and which
 * last-k stand against the searched scheme at a budget, which learning rate (and which k) the validation split
 * picks, and the table built from the runs. Nothing here reads a test score to make a choice.
 */

/** A scheme with the peak SRAM the compiler gives it. */
export interface Priced {
  scheme: string;
  peakSramBytes: number;
}

/** A validation run (seed 1, the last images of the training split held out). */
export interface ValidationRun {
  scheme: string;
  lr: number;
  accuracy: number;
  /** The run's seed (runs stored before seeds were recorded are seed 1). */
  seed?: number;
}

/** A test run (the whole test split, scored once at the end of training). */
export interface TestRun {
  scheme: string;
  lr: number;
  seed: number;
  accuracy: number;
  peakSramBytes: number;
}

/**
 * The published scheme "of nearest budget": the one of largest peak SRAM that fits; when none fits, the one of
 * smallest peak (flagged over budget, so the table says it does not fit).
 */
export function nearestPublished(published: Priced[], budget: number): Priced & { fits: boolean } {
  if (published.length === 0) throw new Error('no published schemes');
  const fit = published.filter((p) => p.peakSramBytes <= budget);
  if (fit.length) return { ...fit.reduce((a, b) => (b.peakSramBytes > a.peakSramBytes ? b : a)), fits: true };
  return { ...published.reduce((a, b) => (b.peakSramBytes < a.peakSramBytes ? b : a)), fits: false };
}

/** The last-k schemes (k = 0 is classifier only) that fit, in order of k; stops at the first k that does not. */
export function fittingLastK(lastK: Priced[], budget: number): Priced[] {
  const out: Priced[] = [];
  for (const p of lastK) {
    if (p.peakSramBytes > budget) break;
    out.push(p);
  }
  return out;
}

/**
 * The validation runs averaged per (scheme, lr) over their seeds, in order of first appearance: the accuracy is
 * the mean over the seeds, `seeds` how many there were.
 */
export function meanPerRate(runs: ValidationRun[]): (ValidationRun & { seeds: number })[] {
  const by = new Map<string, ValidationRun[]>();
  for (const r of runs) {
    const k = JSON.stringify([r.scheme, r.lr]);
    by.set(k, [...(by.get(k) ?? []), r]);
  }
  return [...by.values()].map((rs) => ({
    scheme: rs[0].scheme,
    lr: rs[0].lr,
    accuracy: rs.reduce((a, r) => a + r.accuracy, 0) / rs.length,
    seeds: rs.length,
  }));
}

/**
 * The (scheme, lr) of highest validation accuracy among `schemes`, the accuracy of a (scheme, lr) being its mean
 * over the validation seeds (one seed can sit on the edge of divergence at a rate another seed tips over);
 * ties: the earlier scheme, the smaller lr.
 */
export function pickOnValidation(runs: ValidationRun[], schemes: string[]): ValidationRun {
  let best: ValidationRun | null = null;
  const means = meanPerRate(runs);
  for (const s of schemes)
    for (const r of means.filter((x) => x.scheme === s).sort((a, b) => a.lr - b.lr))
      if (!best || r.accuracy > best.accuracy) best = { scheme: r.scheme, lr: r.lr, accuracy: r.accuracy };
  if (!best) throw new Error(`no validation runs of ${schemes.join(', ')}`);
  return best;
}

export interface Cell {
  scheme: string;
  lr: number;
  peakSramBytes: number;
  fits: boolean;
  mean: number;
  std: number;
  accuracies: number[];
}

export function cell(runs: TestRun[], fits: boolean): Cell {
  const acc = runs.map((r) => r.accuracy);
  const mean = acc.reduce((a, b) => a + b, 0) / acc.length;
  const std = acc.length > 1 ? Math.sqrt(acc.reduce((a, b) => a + (b - mean) ** 2, 0) / (acc.length - 1)) : 0;
  return {
    scheme: runs[0].scheme,
    lr: runs[0].lr,
    peakSramBytes: runs[0].peakSramBytes,
    fits,
    mean,
    std,
    accuracies: acc,
  };
}

export interface BudgetRow {
  budgetBytes: number;
  searched: Cell;
  published: Cell;
  lastK: Cell;
}

const pct = (x: number) => (100 * x).toFixed(2);
const kb = (b: number) => (b / 1024).toFixed(1);

function show(c: Cell, seeds: number): string {
  const over = c.fits ? '' : ', **over budget**';
  const few = c.accuracies.length < seeds ? `, **${c.accuracies.length} of ${seeds} seeds**` : '';
  return `${pct(c.mean)} ± ${pct(c.std)} (\`${c.scheme}\`, ${kb(c.peakSramBytes)} KB${over}, lr ${c.lr}${few})`;
}

/**
 * How the searched scheme compares with each rival: 'is' (the search answered the rival's own scheme), beats /
 * matches (equal means) / within 1 std of (below by at most the rival's std) / below, with the difference in points.
 */
export function verdict(r: BudgetRow): string {
  const vs = (c: Cell, name: string) => {
    if (r.searched.scheme === c.scheme) return `is the ${name} scheme`;
    const d = r.searched.mean - c.mean;
    const word = d > 0 ? 'beats' : d === 0 ? 'matches' : d >= -c.std ? 'within 1 std of' : 'below';
    return `${word} ${name} (${d >= 0 ? '+' : ''}${pct(d)})`;
  };
  return `${vs(r.published, 'published')}; ${vs(r.lastK, 'last-k')}`;
}

/** The markdown table of the budget rows (`seeds`: how many each cell should have; fewer are flagged). */
export function budgetTable(rows: BudgetRow[], seeds = 3): string {
  const lines = [
    '| budget (peak SRAM) | searched: test acc. % (mean ± std) | published, nearest budget | best last-k that fits | searched vs the two |',
    '|---|---|---|---|---|',
  ];
  for (const r of rows)
    lines.push(
      `| ${kb(r.budgetBytes)} KB | ${show(r.searched, seeds)} | ${show(r.published, seeds)} | ${show(r.lastK, seeds)} | ${verdict(r)} |`,
    );
  return lines.join('\n');
}

/**
 * The learning-rate choice as a markdown table: per scheme (in order of first appearance), its validation
 * accuracy at each rate, the chosen (best) one in bold. Only validation runs: it shows how every row's rate
 * (and last-k's k) was picked.
 */
export function validationTable(runs: ValidationRun[], lrs: number[]): string {
  const schemes = [...new Set(runs.map((r) => r.scheme))];
  const means = meanPerRate(runs);
  const lines = [`| scheme | ${lrs.map((lr) => `lr ${lr}`).join(' | ')} |`, `|---|${lrs.map(() => '---|').join('')}`];
  for (const s of schemes) {
    const mine = means.filter((r) => r.scheme === s);
    const best = mine.length === lrs.length ? pickOnValidation(runs, [s]) : null;
    const seedsOf = (lr: number) =>
      runs
        .filter((x) => x.scheme === s && x.lr === lr)
        .sort((a, b) => (a.seed ?? 1) - (b.seed ?? 1))
        .map((x) => pct(x.accuracy));
    const at = (lr: number) => {
      const r = mine.find((x) => x.lr === lr);
      if (!r) return '–';
      const v = pct(r.accuracy) + (r.seeds > 1 ? ` (${seedsOf(lr).join(', ')})` : '');
      return best && r.lr === best.lr ? `**${v}**` : v;
    };
    lines.push(`| \`${s}\` | ${lrs.map(at).join(' | ')} |`);
  }
  return lines.join('\n');
}
