/**
 * `npm run bench -- <name> [args]`: runs bench/<name>.ts, whose default export prints its figures.
 * Benchmarks print numbers; they never fail on a threshold (targets live here, not in timed tests).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const names = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.test.ts'))
  .map((f) => f.slice(0, -3));

const [name, ...rest] = process.argv.slice(2);
const selected = name ? [name] : names;
for (const n of selected) {
  if (!names.includes(n)) {
    console.error(`unknown benchmark "${n}"; available: ${names.join(', ')}`);
    process.exit(2);
  }
  const mod = (await import(pathToFileURL(join(here, `${n}.ts`)).href)) as {
    default: (args: string[]) => Promise<void>;
  };
  if (!rest.includes('--json')) console.log(`\n# bench ${n}`); // --json: stdout is the JSON only
  await mod.default(rest);
}
