import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './firmware-io';
import { main } from './main';

const root = mkdtempSync(join(tmpdir(), 'tinytrain-cli-fw-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['firmware', ...args], { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('tinytrain firmware', () => {
  it('writes the bundle with the fit report and escaped labels', async () => {
    const dir = join(root, 'fw');
    const r = await cli(
      '--model',
      'tiny-cnn',
      '--classes',
      '3',
      '--labels',
      'a,"; system("rm -rf /"); //,c',
      '--dataset',
      'synthetic',
      '--out',
      dir,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/board STM32F746: fits/);
    expect(r.out).toMatch(/^SRAM .* ok +\(arena [\d.]+ KB/m);
    for (const f of ['Makefile', 'README.md', 'model/tt_model.c', 'mcu/tinytrain.ld', 'kernels/include/tt_kernels.h'])
      expect(existsSync(join(dir, f)), f).toBe(true);
    expect(readFileSync(join(dir, 'model/tt_model_data.c'), 'utf8')).toContain(
      '"\\042; system(\\042rm -rf /\\042); //"',
    );
  });

  it('takes real samples and class names from public/data when they are there', async () => {
    const dir = join(root, 'fw-data');
    const r = await cli('--model', 'tiny-cnn', '--samples', '3', '--out', dir);
    expect(r.code).toBe(0);
    const data = readFileSync(join(dir, 'model/tt_model_data.c'), 'utf8');
    if (existsSync(join(REPO_ROOT, 'public/data/fashion-mnist.json'))) expect(data).toContain('"T-shirt/top"');
    expect(readFileSync(join(dir, 'app/tt_samples.c'), 'utf8')).toContain('3 embedded samples');
  });

  it('writes a zip when --out ends in .zip', async () => {
    const zip = join(root, 'fw.zip');
    expect((await cli('--model', 'tiny-cnn', '--dataset', 'synthetic', '--out', zip)).code).toBe(0);
    const files = unzipSync(readFileSync(zip));
    expect(strFromU8(files['tinytrain-tiny-cnn-32-stm32f746/Makefile'])).toMatch(/^run-qemu:/m);
  });

  it('refuses a bundle that does not fit the board, with the numbers, unless --force', async () => {
    const dir = join(root, 'too-big');
    const args = [
      '--model',
      'tiny-cnn',
      '--resolution',
      '224',
      '--board',
      'stm32f411',
      '--dataset',
      'synthetic',
      '--out',
      dir,
    ];
    const r = await cli(...args);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/does NOT fit/);
    expect(r.err).toMatch(/SRAM: needs [\d.]+ KB of the STM32F411's 128.0 KB \(arena/);
    expect(existsSync(dir)).toBe(false);
    expect((await cli(...args, '--force')).code).toBe(0);
    expect(readFileSync(join(dir, 'mcu/tinytrain.ld'), 'utf8')).toContain('LENGTH = 131072');
  });

  it('rejects bad options as usage errors', async () => {
    expect((await cli('--model', 'tiny-cnn', '--board', 'z80', '--out', join(root, 'x'))).code).toBe(2);
    expect((await cli('--model', 'tiny-cnn')).code).toBe(2);
    expect((await cli('--model', 'tiny-cnn', '--rounding', 'up', '--out', join(root, 'x'))).code).toBe(2);
  });

  it('is wired into bin/tinytrain.mjs', () => {
    const help = execFileSync('node', [join(REPO_ROOT, 'bin/tinytrain.mjs'), 'help'], { encoding: 'utf8' });
    expect(help).toMatch(/^ {2}firmware +write the firmware bundle/m);
  });
});
