import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './pages/playground';

test("the code panel shows a kernel's WebAssembly text, SIMD and scalar, loading wabt only then", async ({ page }) => {
  const app = new PlaygroundPage(page);
  const requested: string[] = [];
  page.on('request', (r) => requested.push(r.url()));
  await app.open();
  await page.getByTestId('tab.code').click();
  await expect(page.locator('.monaco-editor')).toBeVisible({ timeout: 20_000 });
  expect(
    requested.filter((u) => /wasm-text|tt_kernels_scalar/.test(u)),
    'wabt loads lazily',
  ).toEqual([]);

  await page.getByTestId('code.file').selectOption('webassembly');
  const kernel = page.getByTestId('code.wasm.kernel');
  await expect(kernel.locator('option[value="tt_pointwise_s8"]')).toHaveCount(1);
  await kernel.selectOption('tt_pointwise_s8');
  await expect(page.getByTestId('code.wasm.count')).toHaveText(/^[1-9]\d* SIMD instructions in \d+ functions$/, {
    timeout: 20_000,
  });
  const editor = page.locator('.monaco-editor');
  await expect(editor).toContainText('(func $tt_pointwise_s8');
  expect(requested.some((u) => /wasm-text/.test(u))).toBe(true);

  // The dot product lives in a helper ~1,000 lines down: the mnemonic summary names it without scrolling.
  await expect(page.getByTestId('code.wasm.ops')).toContainText('i32x4.dot_i16x8_s');

  // The scalar build of the same kernel has no SIMD at all.
  await page.getByTestId('code.wasm.simd').uncheck();
  await expect(page.getByTestId('code.wasm.count')).toHaveText(/^0 SIMD instructions in \d+ functions?$/, {
    timeout: 20_000,
  });
  await expect(editor).toContainText('(func $tt_pointwise_s8');
  await expect(page.getByTestId('code.wasm.ops')).toHaveCount(0);
  expect(requested.some((u) => /tt_kernels_scalar/.test(u))).toBe(true);
  await app.expectNoConsoleErrors();
});
