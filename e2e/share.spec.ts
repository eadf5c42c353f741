import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './pages/playground';

test('a copied share link restores the whole experiment in a fresh page', async ({ browser, page }) => {
  const app = new PlaygroundPage(page);
  await app.open();
  await app.backbone('mbv2-w0.35').click();
  await app.resolution.selectOption('160');
  await app.classes.fill('37');
  await app.board.selectOption('nrf52840');
  await app.budget.fill('200');
  await app.preset.selectOption('paper:99kb');
  await app.tableBias('blocks.2.pw1').check();
  await app.reorder.uncheck();
  await page.getByTestId('train.lr').fill('0.0125');
  await page.getByTestId('train.rounding').selectOption('stochastic');
  await page.getByTestId('train.qas').uncheck();
  await page.getByTestId('train.seed').fill('4242');
  await expect(app.preset).toHaveValue('custom');

  await page.getByTestId('share.copy').click();
  const url = await app.shareUrl.inputValue();
  expect(url).toMatch(/#(v=2&|z=)/);
  const before = await app.snapshot();
  expect(before).toMatchObject({ resolution: '160', classes: '37', board: 'nrf52840', budget: '200', seed: '4242' });

  const fresh = await browser.newContext();
  const other = new PlaygroundPage(await fresh.newPage());
  await other.open(url);
  expect(await other.snapshot()).toEqual(before);
  await expect(other.tableBias('blocks.2.pw1')).toBeChecked();
  await expect(other.urlNotice).toHaveCount(0);
  await other.expectNoConsoleErrors();
  await app.expectNoConsoleErrors();
  await fresh.close();
});
