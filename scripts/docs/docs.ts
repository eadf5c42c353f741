/**
 * `npm run docs`: regenerates every figure the docs print from the command that makes it. Each section
 * (sections.ts) owns a region of a markdown file between `<!-- docs:ID -->` and `<!-- /docs -->` (or a whole
 * file), and writes the command's raw output to docs/raw/ID.txt.
 *
 *   npm run docs                      regenerate the deterministic and slow sections (plans, sizes, accuracies)
 *   npm run docs -- --check           regenerate in memory; exit 1 naming every section whose committed text
 *                                     differs (scripts/test-all.sh runs this; docs.test.ts checks the fast ones)
 *   npm run docs -- --only a,b        only these sections
 *   npm run docs -- --bench ID        run a bench section (timings) and copy its output with date and machine
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../../src/cli/train-run';
import { regions, replaceRegion } from './regions';
import { SECTIONS, type Output, type Section } from './sections';

/** A timing column may differ between runs: docs/plan-table.md's "compile ms" (the last cell of its rows). */
export function comparable(section: Section, text: string): string {
  if (section.id !== 'plan-table') return text;
  return text.replace(/^(\| [a-z0-9.-]+ \| [a-z0-9:.-]+ \|.*\| )[0-9.]+ \|$/gm, '$1(ms) |');
}

export const WHOLE_FILE = new Set(['plan-table']);

/** The committed text of a section: its region's body, or the whole file. */
export function committed(section: Section): string {
  const text = readFileSync(join(ROOT, section.file), 'utf8');
  if (WHOLE_FILE.has(section.id)) return text.replace(/\n$/, '');
  const r = regions(text).find((x) => x.id === section.id);
  if (!r) throw new Error(`${section.file} has no region <!-- docs:${section.id} -->`);
  return r.body;
}

export const rawPath = (id: string) => join(ROOT, 'docs', 'raw', `${id}.txt`);

/** Differences between the committed section (and its raw output) and `out`; empty when they agree. */
export function differences(section: Section, out: Output): string[] {
  const problems: string[] = [];
  if (comparable(section, committed(section)) !== comparable(section, out.body))
    problems.push(`${section.file} docs:${section.id} differs from what \`${section.command}\` prints now`);
  if (out.raw !== undefined) {
    const raw = existsSync(rawPath(section.id)) ? readFileSync(rawPath(section.id), 'utf8') : null;
    if (raw !== out.raw) problems.push(`docs/raw/${section.id}.txt differs from the command's output`);
  }
  return problems;
}

export function write(section: Section, out: Output): void {
  const path = join(ROOT, section.file);
  const text = readFileSync(path, 'utf8');
  writeFileSync(path, WHOLE_FILE.has(section.id) ? `${out.body}\n` : replaceRegion(text, section.id, out.body));
  if (out.raw !== undefined) {
    mkdirSync(join(ROOT, 'docs', 'raw'), { recursive: true });
    writeFileSync(rawPath(section.id), out.raw);
  }
}

function firstDiff(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  const i = x.findIndex((l, j) => l !== y[j]);
  const at = i < 0 ? x.length : i;
  return `  line ${at + 1}:\n    committed: ${x[at] ?? '(end)'}\n    now:       ${y[at] ?? '(end)'}`;
}

async function main(): Promise<number> {
  const { values: v } = parseArgs({
    options: { check: { type: 'boolean' }, only: { type: 'string' }, bench: { type: 'string' } },
  });
  const wanted = v.bench ? [v.bench] : v.only?.split(',');
  const chosen = SECTIONS.filter((s) => (wanted ? wanted.includes(s.id) : s.kind !== 'bench'));
  if (wanted && chosen.length !== wanted.length) {
    console.error(`unknown section; known: ${SECTIONS.map((s) => s.id).join(', ')}`);
    return 2;
  }
  let failed = 0;
  for (const s of chosen) {
    if (s.kind === 'bench' && !v.bench) continue;
    const t0 = Date.now();
    const out = await s.make();
    const took = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
    if (v.check) {
      const problems = s.kind === 'bench' ? [] : differences(s, out);
      for (const p of problems) console.error(`docs: ${p}`);
      if (problems.length) console.error(firstDiff(comparable(s, committed(s)), comparable(s, out.body)));
      else console.log(`docs:${s.id} up to date (${took})`);
      failed += problems.length ? 1 : 0;
    } else {
      write(s, out);
      console.log(`docs:${s.id} -> ${s.file}${out.raw === undefined ? '' : `, docs/raw/${s.id}.txt`} (${took})`);
    }
  }
  if (failed) console.error(`\n${failed} section(s) out of date: run \`npm run docs\` and commit the result.`);
  return failed ? 1 : 0;
}

if (process.argv[1]?.endsWith('docs.ts')) process.exitCode = await main();
