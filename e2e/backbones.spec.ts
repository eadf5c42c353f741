import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './pages/playground';

interface CliPlan {
  peakSramBytes: number;
  /** The device fit the page shows (header, timeline, Code panel): firmware flash, verdict. */
  device: { flashBytes: number; fits: boolean; verdict: string };
  arenaBytes: number;
  trainableSramBytes: number;
}

/** `npx tinytrain plan ... --json`, run straight through its bin script. */
function cliPlan(args: string[]): CliPlan {
  const out = execFileSync('node', ['bin/tinytrain.mjs', 'plan', ...args, '--json', '--repeat', '1'], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as CliPlan;
}

const CASES = [
  { model: 'mcunet-5fps', preset: 'paper:99kb', resolution: '128', reorder: true },
  { model: 'mbv2-w0.35', preset: 'paper:73kb', resolution: '128', reorder: true },
  { model: 'proxyless-w0.3', preset: 'paper:148kb', resolution: '128', reorder: true },
  { model: 'tiny-cnn', preset: 'last:4', resolution: '32', reorder: true },
  { model: 'mbv2-w0.35', preset: 'bias-only', resolution: '96', reorder: false },
  { model: 'mcunet-5fps', preset: 'paper:49kb', resolution: '128', reorder: true, split: false },
];

test('each backbone and a preset: the page shows the peak and flash that `tinytrain plan` prints', async ({ page }) => {
  test.setTimeout(180_000); // six CLI runs (each a node process compiling its TypeScript) and six page plans
  const app = new PlaygroundPage(page);
  await app.open();
  for (const c of CASES) {
    await app.backbone(c.model).click();
    await app.resolution.selectOption(c.resolution);
    await app.preset.selectOption(c.preset);
    const split = !('split' in c) || c.split !== false;
    if (split) await page.getByTestId('editor.split').check();
    else await page.getByTestId('editor.split').uncheck();
    if (c.reorder) await app.reorder.check();
    else await app.reorder.uncheck();
    const cli = cliPlan([
      '--model',
      c.model,
      '--resolution',
      c.resolution,
      '--scheme',
      c.preset,
      ...(c.reorder ? [] : ['--no-reorder']),
      ...(split ? [] : ['--no-split']),
    ]);
    await expect(app.peak, `${c.model} ${c.preset}`).toHaveAttribute('data-bytes', String(cli.peakSramBytes));
    await expect(app.flash, `${c.model} ${c.preset}`).toHaveAttribute('data-bytes', String(cli.device.flashBytes));
    await expect(app.peak).toHaveText(`${(cli.peakSramBytes / 1024).toFixed(1)} KB`);
    await expect(page.getByTestId('timeline.accounting')).toContainText(
      `arena ${(cli.arenaBytes / 1024).toFixed(1)} KB (placed, aligned) + trainable ${(cli.trainableSramBytes / 1024).toFixed(1)} KB`,
    );
  }
  await app.expectNoConsoleErrors();
});
