/**
 * Would choosing the search's finalists on two validation seeds change the search table's answers?
 * `npx tsx scripts/experiments/finalist-seeds.ts [--lr 0.1] [--seeds 1,2]` reads the searches the table stored
 * (docs/raw/search-table-searches.jsonl: the finalists of each budget, the last search of each budget counting)
 * and the validation runs (docs/raw/search-table.jsonl) at the finalists' rate, and prints per budget every
 * finalist's validation accuracy per seed and their mean, marking the answer of seed 1 alone (what the search
 * does) and the one of the mean. Reads only validation runs; a finalist without a run at some seed is listed as
 * missing (make them with search-table.ts --runs "A|B|..." --validate-only --lrs 0.1).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { RAW_RUNS, RAW_SEARCHES } from './search-table';

interface StoredSearch {
  key: string;
  report: { finalists: { scheme: string; reference?: string }[] };
}

const { values: v } = parseArgs({
  options: { lr: { type: 'string', default: '0.1' }, seeds: { type: 'string', default: '1,2' } },
});
const lr = Number(v.lr);
const seeds = v.seeds!.split(',').map(Number);

const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);
const budgets = new Map<number, StoredSearch['report']['finalists']>();
for (const line of lines(RAW_SEARCHES)) {
  const s = JSON.parse(line) as StoredSearch;
  budgets.set((JSON.parse(s.key) as { request: { budgetBytes: number } }).request.budgetBytes, s.report.finalists);
}
// validation accuracy by scheme and seed, at the rate, 1000-step runs (the finalists' length in the table)
const acc = new Map<string, Map<number, number>>();
for (const line of lines(RAW_RUNS)) {
  const s = JSON.parse(line) as {
    key: string;
    phase: string;
    run: { scheme: string; lr: number; seed: number; accuracy: number };
  };
  if (s.phase !== 'validation' || s.run.lr !== lr || (JSON.parse(s.key) as { steps: number }).steps !== 1000) continue;
  if (!acc.has(s.run.scheme)) acc.set(s.run.scheme, new Map());
  acc.get(s.run.scheme)!.set(s.run.seed, s.run.accuracy);
}
const pct = (x: number) => (100 * x).toFixed(2);
console.log(`finalists' validation accuracy (%) at lr ${lr}, seeds ${seeds.join(', ')}, and their mean`);
for (const [budget, finals] of [...budgets].sort((a, b) => a[0] - b[0])) {
  console.log(`\n${budget / 1024} KB`);
  const rows = finals.map((f) => {
    const by = acc.get(f.scheme);
    const got = seeds.map((s) => by?.get(s));
    const full = got.every((a) => a !== undefined);
    return { f, got, mean: full ? got.reduce((a, b) => a! + b!, 0)! / seeds.length : NaN };
  });
  // first of the highest (finalists come ordered by summed gain, the tie-break), as pickFinalist does
  const pick = (score: (r: (typeof rows)[number]) => number) =>
    rows.reduce((best, r) => (score(r) > score(best) ? r : best), rows[0]);
  const one = pick((r) => r.got[0] ?? -1);
  const two = pick((r) => (Number.isNaN(r.mean) ? -1 : r.mean));
  for (const r of rows) {
    const mark = [r === one ? `answer on seed ${seeds[0]}` : '', r === two ? 'answer on the mean' : '']
      .filter(Boolean)
      .join(', ');
    const cells = r.got.map((a) => (a === undefined ? 'missing' : pct(a))).join(', ');
    const ref = r.f.reference ? ` (= ${r.f.reference})` : '';
    console.log(
      `  ${Number.isNaN(r.mean) ? '   -  ' : pct(r.mean).padStart(6)} (${cells}) ${r.f.scheme}${ref}${mark ? `  <- ${mark}` : ''}`,
    );
  }
  console.log(`  ${one === two ? 'same answer' : `answer changes: ${one.f.scheme} -> ${two.f.scheme}`}`);
}
