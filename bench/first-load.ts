/**
 * First load of the built site (`npx vite build` first; `vite preview` is started here) to an interactive
 * editor with a compiled plan, in Chromium: for each of `--runs` fresh browser contexts (empty cache), the page's
 * own clock (performance.now() since navigation) when the default backbone's button is enabled and the memory
 * header shows a peak; and the built main chunk's size, raw and gzipped. Figures only, no threshold: the e2e
 * test (e2e/first-load.spec.ts) checks what loads, not how fast.
 *   npm run bench -- first-load [--runs 10] [--port 4193]
 */
import { chromium } from '@playwright/test';
import { load, startPreview, stopPreview, waitForServer } from './chromium/preview';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { paths } from '../src/runtime/testing/kernel-harness';

/** The entry chunk index.html loads: its path under dist/. */
function mainChunk(): string {
  const html = readFileSync(join(paths.root, 'dist', 'index.html'), 'utf8');
  const m = /<script[^>]*type="module"[^>]*src="\/?([^"]+)"/.exec(html);
  if (!m) throw new Error('dist/index.html has no module script: run `npx vite build` first');
  return join(paths.root, 'dist', m[1]);
}

export default async function bench(args: string[] = []): Promise<void> {
  const arg = (name: string, d: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : d);
  const runs = Number(arg('--runs', '10'));
  const port = Number(arg('--port', '4193'));
  const chunk = mainChunk();
  const bytes = readFileSync(chunk);
  const built = statSync(join(paths.root, 'dist', 'index.html'))
    .mtime.toISOString()
    .slice(0, 16);
  console.log(
    `main chunk ${chunk.split('/').pop()}: ${(bytes.length / 1024).toFixed(0)} KB (${(gzipSync(bytes).length / 1024).toFixed(0)} KB gzipped); dist/ built ${built} UTC`,
  );
  const assets = readdirSync(join(paths.root, 'dist', 'assets')).length;
  console.log(`dist/assets: ${assets} files (Monaco, the firmware generator and the worker load on demand)`);
  const server = startPreview(paths.root, port);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const url = `http://localhost:${port}/`;
    await waitForServer(url, 60_000);
    console.log(`load average before: ${load()}`);
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await ctx.newPage();
      await page.goto(url, { waitUntil: 'commit' });
      await page.getByTestId('editor.backbone.mbv2-w0.35').waitFor();
      await page.waitForFunction(() => {
        const b = document.querySelector('[data-testid="editor.backbone.mbv2-w0.35"]') as HTMLButtonElement | null;
        const p = document.querySelector('[data-testid="summary.peak"]');
        return !!b && !b.disabled && /^\d+$/.test(p?.getAttribute('data-bytes') ?? '');
      });
      ms.push(await page.evaluate(() => performance.now()));
      await ctx.close();
    }
    const s = [...ms].sort((a, b) => a - b);
    console.log(`first load to an interactive editor with a plan, ${runs} fresh contexts (page clock, ms):`);
    console.log(`  ${ms.map((x) => x.toFixed(0)).join(' ')}`);
    console.log(
      `  median ${s[Math.floor(s.length / 2)].toFixed(0)}, min ${s[0].toFixed(0)}, max ${s[s.length - 1].toFixed(0)}; load average after: ${load()}`,
    );
  } finally {
    await browser.close();
    stopPreview(server);
  }
}
