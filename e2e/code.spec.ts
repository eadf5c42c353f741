import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './pages/playground';

test('the code panel shows the generated firmware in Monaco and downloads the source bundle', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open();
  await page.getByTestId('tab.code').click();
  const editor = page.locator('.monaco-editor');
  await expect(editor).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('code.file')).toHaveValue('model/tt_model.c');
  await expect(editor).toContainText('tt_model.c');
  await expect(page.getByTestId('code.fit')).toContainText('fits');

  // Linked highlighting: pointing at a layer in the table marks its calls in the code.
  await app.tableRow('blocks.9.pw1').hover();
  await expect(page.locator('.code-hover-line').first()).toBeVisible();

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('code.download').click()]);
  expect(download.suggestedFilename()).toBe('tinytrain-mcunet-5fps-128-stm32f746.zip');
  const files = unzipSync(new Uint8Array(readFileSync(await download.path())));
  const names = Object.keys(files);
  for (const f of [
    'model/tt_model.c',
    'model/tt_model_data.c',
    'mcu/tinytrain.ld',
    'Makefile',
    'kernels/include/tt_kernels.h',
  ]) {
    expect(names).toContain(`tinytrain-mcunet-5fps-128-stm32f746/${f}`);
  }
  const model = new TextDecoder().decode(files['tinytrain-mcunet-5fps-128-stm32f746/model/tt_model.c']);
  expect(model).toMatch(/float tt_train_step\(/);
  await app.expectNoConsoleErrors();
});
