import { expect, test } from '@playwright/test';
import { writeTflite } from '../src/compiler/export';
import { modelToDescription } from '../src/compiler/import/from-model';
import { buildModel } from '../src/compiler/models/model';
import { defaultFieldValues } from '../src/state/experiment';
import { encodeExperiment } from '../src/state/url';
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

test('a link to an imported model waits for its file: opening that file in a fresh page restores the link', async ({
  browser,
  page,
}) => {
  const tiny = buildModel({ model: 'tiny-cnn', resolution: 32, classes: 10, seed: 3 });
  const file = {
    name: 'tiny.tflite',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from(writeTflite(modelToDescription(tiny, 'tflite'))),
  };
  const app = new PlaygroundPage(page);
  await app.open(`/#${encodeExperiment({ ...defaultFieldValues(), model: 'tiny-cnn', resolution: 32 })}`);
  await page.getByTestId('model.open.input').setInputFiles(file);
  await expect(page.getByTestId('editor.backbone.imported')).toHaveAttribute('aria-checked', 'true');
  await app.preset.selectOption('bias-only');
  await page.getByTestId('train.seed').fill('4242');
  await page.getByTestId('share.copy').click();
  const url = await app.shareUrl.inputValue();
  expect(url).toMatch(/#(v=2&|z=)/);

  const fresh = await browser.newContext();
  const other = new PlaygroundPage(await fresh.newPage());
  await other.open(url);
  await expect(other.urlNotice).toContainText('This link needs its model file; a backbone stands in until it is open.');
  await expect(other.urlNotice).toContainText('This link was made with an imported model file (SHA-256 ');
  await expect(other.page.getByTestId('editor.backbone.mcunet-5fps')).toHaveAttribute('aria-checked', 'true');
  // while it waits the address bar keeps the link, so a reload (or a copy of the address) still names the file
  await other.page.waitForTimeout(300); // past the address bar's 100 ms write delay
  expect(other.page.url()).toBe(url);
  await other.page.reload();
  await expect(other.urlNotice).toContainText('This link was made with an imported model file (SHA-256 ');
  await other.page.getByTestId('model.open.input').setInputFiles(file);
  await expect(other.page.getByTestId('editor.backbone.imported')).toHaveAttribute('aria-checked', 'true');
  await expect(other.preset).toHaveValue('bias-only');
  await expect(other.page.getByTestId('train.seed')).toHaveValue('4242');
  await expect(
    other.page.getByTestId('notice.edit').filter({ hasText: 'This is the model the link names' }),
  ).toHaveCount(1);
  await expect(other.urlNotice).toHaveCount(0);
  await expect(other.compileNotice).toHaveCount(0);
  await other.expectNoConsoleErrors();
  await app.expectNoConsoleErrors();
  await fresh.close();
});
