/**
 * Import directions, checked on the sources: compiler (pure TS) <- runtime <- state and cli <- ui; nothing
 * imports ui; the CLI does not import page state; the runtime does not import build scripts; production code
 * does not import test fixtures (src/compiler/testing/ and src/runtime/testing/: the kernel test harness and
 * kernel cases). Inside the runtime, kernels/ (wasm loader, executor, self-check) sits below training/ (session,
 * runner, data, fp32 trainer, worker, client): kernels/ imports nothing from training/.
 * Every static import, `export ... from` and dynamic import() with a relative path is resolved to a file.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|tsx|mts)$/.test(f) && !f.endsWith('.d.ts') ? [p] : [];
  });
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

/** Repository-relative paths of the files `file` imports by relative path. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1].split('?')[0];
    if (!spec.startsWith('.')) continue;
    const base = resolve(dirname(file), spec);
    const hit = ['', '.ts', '.tsx', '.mts', '/index.ts', '/index.tsx']
      .map((x) => base + x)
      .find((p) => existsSync(p) && statSync(p).isFile());
    out.push(relative(ROOT, hit ?? base));
  }
  return out;
}

const FILES = sources(join(ROOT, 'src')).map((f) => ({ path: relative(ROOT, f), imports: importsOf(f) }));
const isTest = (p: string) => /\.test\.tsx?$/.test(p);
/** Test fixtures: helpers only tests (and benchmarks) may import. */
const isFixture = (p: string) => p.startsWith('src/compiler/testing/') || p.startsWith('src/runtime/testing/');

/** Files that break `rule`, as "file -> import" lines. */
function violations(from: (p: string) => boolean, to: (p: string) => boolean): string[] {
  return FILES.filter((f) => from(f.path)).flatMap((f) => f.imports.filter(to).map((i) => `${f.path} -> ${i}`));
}

const under = (dir: string) => (p: string) => p.startsWith(`${dir}/`);

describe('import directions', () => {
  it('sees the imports (the scanner is not blind)', () => {
    const fw = FILES.find((f) => f.path === 'src/cli/firmware.ts')!;
    expect(fw.imports).toContain('src/compiler/boards.ts');
    expect(fw.imports).toContain('src/cli/args.ts');
    expect(FILES.length).toBeGreaterThan(100);
    expect(violations(under('src/cli'), under('src/compiler')).length).toBeGreaterThan(5);
    const worker = FILES.find((f) => f.path === 'src/runtime/training/training-worker.ts')!;
    expect(worker.imports).toContain('src/runtime/kernels/wasm.ts');
    expect(violations(under('src/runtime/training'), under('src/runtime/kernels')).length).toBeGreaterThan(2);
    expect(violations(isTest, isFixture).length).toBeGreaterThan(3);
  });

  it('src/runtime keeps its files in kernels/, training/ and testing/', () => {
    const loose = FILES.filter((f) => under('src/runtime')(f.path))
      .map((f) => f.path)
      .filter((p) => !['kernels', 'training', 'testing'].some((d) => under(`src/runtime/${d}`)(p)));
    expect(loose).toEqual([]);
  });

  it('src/runtime/kernels imports nothing from src/runtime/training', () => {
    expect(violations(under('src/runtime/kernels'), under('src/runtime/training'))).toEqual([]);
  });

  it('src/cli imports nothing from src/state or src/ui', () => {
    expect(violations(under('src/cli'), (p) => under('src/state')(p) || under('src/ui')(p))).toEqual([]);
  });

  it('src/runtime imports nothing from scripts/', () => {
    expect(violations(under('src/runtime'), under('scripts'))).toEqual([]);
  });

  it('production code imports no test fixtures', () => {
    const production = (p: string) => !isTest(p) && !isFixture(p);
    expect(violations(production, isFixture)).toEqual([]);
  });

  it('production layers point one way: compiler <- runtime <- state, cli <- ui; nothing imports ui', () => {
    // tests may reach up (a compiler test runs the executor on the plan it checks); production code may not
    const prod = (dir: string) => (p: string) => under(dir)(p) && !isTest(p);
    const above =
      (...dirs: string[]) =>
      (p: string) =>
        dirs.some((d) => under(d)(p));
    expect(violations(prod('src/compiler'), (p) => !under('src/compiler')(p))).toEqual([]);
    expect(violations(prod('src/runtime'), above('src/state', 'src/cli', 'src/ui'))).toEqual([]);
    expect(violations(prod('src/state'), above('src/cli', 'src/ui'))).toEqual([]);
    expect(violations((p) => !under('src/ui')(p) && p !== 'src/main.tsx', under('src/ui'))).toEqual([]);
  });
});
