/**
 * Screenshots of the main views at 1280x800, written to docs/screenshots/ by every e2e run (the README and
 * the issue link them). Each shot first checks the view it shows is really there.
 */
import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './pages/playground';

const DIR = 'docs/screenshots';

test('screenshots of the main views', async ({ page }) => {
  test.setTimeout(120_000);
  const app = new PlaygroundPage(page);
  await app.open();
  await expect(app.peak).toHaveAttribute('data-bytes', /^\d+$/);
  await page.screenshot({ path: `${DIR}/overview.png` });

  // Linked highlighting: a layer pointed at in the table, lit in the graph and the timeline.
  await app.tableRow('blocks.9.pw1').scrollIntoViewIfNeeded();
  await app.tableRow('blocks.9.pw1').hover();
  await expect(app.graphNode('blocks.9.pw1')).toHaveClass(/hovered/);
  await page.screenshot({ path: `${DIR}/linked-highlight.png` });

  // A scheme that does not fit, with reordering compared side by side.
  await app.preset.selectOption('bias-only');
  await page.getByTestId('timeline.sideBySide').check();
  await expect(page.getByTestId('timeline.other')).toBeVisible();
  await expect(page.getByTestId('notice.fit')).toContainText('Does not fit');
  await page.screenshot({ path: `${DIR}/does-not-fit-side-by-side.png` });

  // The generated firmware in Monaco.
  await page.getByTestId('tab.code').click();
  await expect(page.locator('.monaco-editor')).toBeVisible({ timeout: 20_000 });
  await app.tableRow('blocks.10.pw1').hover();
  await expect(page.locator('.code-hover-line').first()).toBeVisible();
  await page.screenshot({ path: `${DIR}/code.png` });

  // Training the small CNN.
  await page.getByTestId('tab.graph').click();
  await app.backbone('tiny-cnn').click();
  await page.getByTestId('train.start').click();
  await expect
    .poll(async () => Number(await page.getByTestId('train.loss').getAttribute('data-points')), { timeout: 60_000 })
    .toBeGreaterThanOrEqual(12);
  await page.getByTestId('train.pause').click();
  await page.screenshot({ path: `${DIR}/training.png` });

  // A damaged link: a message, the defaults for the bad parts, a working page.
  await page.goto('/?shot#v=1&m=mbv2-w0.35&r=999&lr=NaN&zz=1');
  await expect(app.urlNotice).toBeVisible();
  await expect(app.peak).toHaveAttribute('data-bytes', /^\d+$/);
  await page.screenshot({ path: `${DIR}/bad-link.png` });
  await app.expectNoConsoleErrors();
});
