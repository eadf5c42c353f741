/**
 * Training speed as the page shows it: the built site (`npx vite build` first; `vite preview` is started here,
 * cross-origin isolated) in Chromium on mcunet-5fps 128x128 `paper:99kb` (the page's default data set), the
 * user's own clicks: one step, then turns of start / read the panel's samples/s / pause, on 1 and 2 kernel threads
 * alternately (the panel's threads control). Each turn reads the figure every 2 s after a warm-up; the page's
 * training loop runs its chunks and its evaluation every 10 s as it does for a user. Figures only, no threshold
 * (issue 12's targets: >= 400 samples/s on 2 threads, 2T / 1T >= 1.6; `npm run bench -- threads` measures the
 * executor alone).
 *   npm run bench -- page-train [--turns 2] [--reads 10] [--port 4194]
 */
import { cpuLine } from './machine';
import { chromium, type Page } from '@playwright/test';
import { load, startPreview, stopPreview, waitForServer } from './chromium/preview';
import { paths } from '../src/runtime/testing/kernel-harness';
import { defaultFieldValues } from '../src/state/experiment';
import { encodeExperiment } from '../src/state/url';

// the page's own link encoding (a hand-written fragment would drift from the URL format)
const HASH = `#${encodeExperiment({ ...defaultFieldValues(), model: 'mcunet-5fps', resolution: 128, preset: 'paper:99kb', scheme: [] })}`;
const READ_MS = 2000;
const WARM_MS = 3000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function enabled(page: Page, id: string): Promise<void> {
  await page.waitForFunction(
    (id) => {
      const b = document.querySelector(`[data-testid="${id}"]`) as HTMLButtonElement | null;
      return !!b && !b.disabled;
    },
    id,
    { timeout: 120_000 },
  );
}

/** One turn on `threads` threads: the readings of the panel's samples/s (numbers); `shares` gets the share of
 * steps that ran on kernel threads the panel showed at each reading ('-': none shown, one thread). */
async function turn(page: Page, threads: number, reads: number, shares: string[]): Promise<number[]> {
  const select = page.getByTestId('train.threads');
  await select.selectOption(String(threads));
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="train.threads"]')?.getAttribute('data-running') === String(n),
    threads,
    { timeout: 60_000 },
  );
  await enabled(page, 'train.start');
  await page.getByTestId('train.start').click();
  await page.waitForTimeout(WARM_MS);
  const out: number[] = [];
  for (let i = 0; i < reads; i++) {
    await page.waitForTimeout(READ_MS);
    const [text, share] = await page.evaluate(() => [
      document.querySelector('[data-testid="train.speed"]')?.textContent ?? '',
      document.querySelector('[data-testid="train.threaded"]')?.getAttribute('data-share') ?? null,
    ]);
    const m = /^(\d+) samples\/s$/.exec((text ?? '').trim());
    if (m) out.push(Number(m[1]));
    shares.push(share === null ? '-' : `${Math.round(100 * Number(share))}%`);
  }
  await page.getByTestId('train.pause').click();
  await enabled(page, 'train.start');
  return out;
}

export default async function bench(args: string[] = []): Promise<void> {
  const arg = (name: string, d: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : d);
  const turns = Number(arg('--turns', '2'));
  const reads = Number(arg('--reads', '10'));
  const port = Number(arg('--port', '4194'));
  const server = startPreview(paths.root, port);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const url = `http://localhost:${port}/${HASH}`;
    await waitForServer(`http://localhost:${port}/`, 60_000);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="train.weights"]')?.getAttribute('data-status') === 'ready',
      null,
      { timeout: 120_000 },
    );
    const isolated = await page.evaluate(() => window.crossOriginIsolated);
    const preset = await page.getByTestId('editor.preset').inputValue();
    if (preset !== 'paper:99kb') throw new Error(`the page opened with scheme preset ${preset}, not paper:99kb`);
    await enabled(page, 'train.step');
    await page.getByTestId('train.step').click();
    await page.waitForFunction(
      () => /^\d+ samples\/s$/.test(document.querySelector('[data-testid="train.speed"]')?.textContent ?? ''),
      null,
      { timeout: 120_000 },
    );
    console.log(
      `page ${HASH} (preset ${preset}), Chromium, cross-origin isolated ${isolated}; ${cpuLine()}; load average before: ${load()}`,
    );
    const by = new Map<number, number[]>([
      [1, []],
      [2, []],
    ]);
    for (let t = 0; t < turns; t++)
      for (const n of [1, 2]) {
        const shares: string[] = [];
        const r = await turn(page, n, reads, shares);
        by.get(n)!.push(...r);
        console.log(`turn ${t + 1}, ${n} thread${n > 1 ? 's' : ''}: ${r.join(' ')} samples/s`);
        if (n > 1) console.log(`  on threads: ${shares.join(' ')}`);
      }
    const one = median(by.get(1)!);
    const two = median(by.get(2)!);
    console.log(
      `median of the readings: 1 thread ${one}, 2 threads ${two} samples/s (target >= 400); ` +
        `2T / 1T ${(two / one).toFixed(2)} (target >= 1.6)`,
    );
    console.log(`page errors: ${errors.length ? errors.join('; ') : 'none'}; load average after: ${load()}`);
  } finally {
    await browser.close();
    stopPreview(server);
  }
}
