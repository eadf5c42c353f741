/**
 * The page's scheme search in Chromium on the default task (mcunet-5fps 128x128, pretrained backbone -> MNIST,
 * the Search tab's defaults: last 12 convs, 200 steps, 500 validation images), timed from Start to the results,
 * one fresh browser context (so an empty IndexedDB run cache) per config. Needs the built site (`npx vite
 * build`); starts `vite preview` itself.
 *   npm run bench -- search-chromium [--configs 2c,1c,2,1] [--port 4192]   (a config: workers, `c`: prefix cache)
 */
import { chromium } from '@playwright/test';
import { paths } from '../src/runtime/testing/kernel-harness';
import { load, startPreview, stopPreview, waitForServer } from './chromium/preview';

export default async function bench(args: string[] = []): Promise<void> {
  const arg = (name: string, d: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : d);
  const port = Number(arg('--port', '4192'));
  const configs = arg('--configs', '2c').split(',');
  const server = startPreview(paths.root, port);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const url = `http://localhost:${port}/`;
    await waitForServer(url, 60_000);
    console.log(`page search in Chromium, default task (mcunet-5fps 128x128 -> mnist); load ${load()}`);
    for (const c of configs) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await ctx.newPage();
      await page.goto(url);
      await page.getByTestId('tab.search').click();
      await page.getByTestId('search.workers').fill(String(parseInt(c, 10)));
      if (!c.endsWith('c')) await page.getByTestId('search.prefix').uncheck();
      // the backbone must be loaded before Start (the store refuses random weights)
      await page.locator('[data-testid="train.weights"][data-status="ready"]').waitFor({ timeout: 120_000 });
      const t0 = Date.now();
      await page.getByTestId('search.start').click();
      await page.getByTestId('search.results').waitFor({ timeout: 30 * 60_000 });
      const wall = (Date.now() - t0) / 1000;
      const summary = await page.getByTestId('search.results').locator('p.hint').first().innerText();
      console.log(
        `  ${c}: ${wall.toFixed(1)} s from Start to results; page says: ${summary.split(';')[0]}; load ${load()}`,
      );
      await ctx.close();
    }
  } finally {
    await browser.close();
    stopPreview(server);
  }
}
