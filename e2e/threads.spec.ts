/**
 * WebAssembly threads in the page (issue #12): the preview server sends COOP/COEP, so the page is cross-origin
 * isolated; the training worker then runs the kernels on 2 threads, and training gives the same losses and the
 * same int8 weights as on 1 thread. The thread control in the training panel drives the same setting.
 */
import { expect, test } from '@playwright/test';
import type { TrainingClient } from '../src/runtime/training/training-client';

declare global {
  interface Window {
    __tinytrain?: TrainingClient;
  }
}

test('the page is cross-origin isolated and trains bit-identically on 1 and 2 threads', async ({ page }) => {
  test.setTimeout(180_000);
  const failed: string[] = [];
  page.on('requestfailed', (r) => failed.push(r.url()));
  await page.goto('/');
  expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
  await expect(page.getByTestId('train.weights')).toHaveAttribute('data-status', 'ready', { timeout: 30_000 });
  await page.getByTestId('train.step').click();
  await page.waitForFunction(() => window.__tinytrain !== undefined, null, { timeout: 30_000 });
  await expect(page.getByTestId('train.speed')).toHaveText(/^\d+ samples\/s$/, { timeout: 60_000 });

  const run = (threads: number) =>
    page.evaluate(async (threads) => {
      const rt = window.__tinytrain!;
      const info = await rt.setThreads(threads);
      await rt.reset();
      const t = await rt.trace(6);
      return {
        info,
        split: rt.lastLoad()!.splitSteps,
        losses: t.losses,
        trainable: t.trainable.map((w) => ({ name: w.name, data: Array.from(w.data) })),
      };
    }, threads);
  const one = await run(1);
  const two = await run(2);
  expect(one.info).toEqual({ requested: 1, running: 1, isolated: true });
  expect(two.info).toEqual({ requested: 2, running: 2, isolated: true });
  expect(one.split).toBe(0);
  expect(two.split).toBeGreaterThan(0);
  expect(two.losses).toEqual(one.losses);
  expect(two.trainable).toEqual(one.trainable);
  expect(one.trainable.length).toBeGreaterThan(0);
  console.log(
    `threads: 6 steps on 1 and 2 threads (${two.split} steps split), losses ${two.losses.map((l) => l.toFixed(4)).join(' ')}`,
  );

  // the panel's control shows and changes the same setting
  const select = page.getByTestId('train.threads');
  for (const n of ['1', '2']) {
    await select.selectOption(n);
    await expect(select).toHaveAttribute('data-running', n, { timeout: 30_000 });
    await expect(select).toHaveAttribute('data-isolated', 'true');
  }
  // on 2 threads the panel says which share of the steps ran on them (the rest ran whole: a busy machine)
  await expect(page.getByTestId('train.step')).toBeEnabled({ timeout: 60_000 });
  await page.getByTestId('train.step').click();
  const share = page.getByTestId('train.threaded');
  await expect(share).toHaveText(/^\d+% on threads$/, { timeout: 60_000 });
  const v = Number(await share.getAttribute('data-share'));
  expect(v).toBeGreaterThanOrEqual(0);
  expect(v).toBeLessThanOrEqual(1);
  await select.selectOption('1');
  await expect(select).toHaveAttribute('data-running', '1', { timeout: 30_000 });
  await expect(page.getByTestId('train.step')).toBeEnabled({ timeout: 60_000 });
  await page.getByTestId('train.step').click();
  await expect(share).toHaveCount(0, { timeout: 30_000 });
  expect(failed).toEqual([]);
});
