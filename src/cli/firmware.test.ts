import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { writeModelFile } from '../compiler/model-file';
import { loadModelFile, REPO_ROOT } from './firmware-io';
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
    expect(r.code).toBe(3);
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

  it('starts from the pretrained backbone by default, a trained model file with --weights, random with --no-pretrained', async () => {
    const backbone = loadModelFile(join(REPO_ROOT, 'public/models/tiny-cnn.json'));
    // a "trained" file: the backbone with its classifier weights changed (what the page's download would hold)
    const trained = { ...backbone, layers: backbone.layers.map((l) => ({ ...l })) };
    const cls = trained.layers.at(-1)!;
    cls.weight = cls.weight.map((w, i) => ((w + i) % 100) - 50);
    const { manifest, bin } = writeModelFile(trained);
    writeFileSync(join(root, 'trained.json'), JSON.stringify(manifest));
    writeFileSync(join(root, 'trained.bin'), bin);
    const base = ['--model', 'tiny-cnn', '--dataset', 'synthetic', '--samples', '2'];
    const arrays = (dir: string) => {
      const c = readFileSync(join(dir, 'model/tt_model_data.c'), 'utf8');
      const get = (name: string) =>
        new RegExp(`int8_t tt_${name}\\[\\d+\\] = \\{([^}]*)\\}`)
          .exec(c)![1]
          .split(',')
          .filter((x) => x.trim() !== '')
          .map(Number);
      return { first: get('first_conv_weight'), classifier: get('classifier_weight') };
    };
    const def = await cli(...base, '--out', join(root, 'w-default'));
    expect(def.code).toBe(0);
    expect(def.out).toMatch(
      /^weights pretrained backbone .*public\/models\/tiny-cnn\.json \(default\), fresh classifier/m,
    );
    const w = await cli(...base, '--weights', join(root, 'trained'), '--out', join(root, 'w-trained'));
    expect(w.err).toBe('');
    expect(w.out).toMatch(/^weights trained model file .*trained\.json \(every layer, 10 classes\)/m);
    const rnd = await cli(...base, '--no-pretrained', '--out', join(root, 'w-random'));
    expect(rnd.out).toMatch(/^weights seeded random initialization \(seed 1\)/m);
    const [d, t, r] = [
      arrays(join(root, 'w-default')),
      arrays(join(root, 'w-trained')),
      arrays(join(root, 'w-random')),
    ];
    expect(d.first).toEqual([...backbone.layers[0].weight]);
    expect(t.first).toEqual([...backbone.layers[0].weight]);
    expect(r.first).not.toEqual([...backbone.layers[0].weight]);
    expect(t.classifier).toEqual([...cls.weight]);
    expect(d.classifier).not.toEqual([...cls.weight]);
    expect(d.classifier).not.toEqual([...backbone.layers.at(-1)!.weight]); // fresh classifier
    // --weights names the model and the classes; contradicting them is a usage error
    expect(
      (await cli('--weights', join(root, 'trained'), '--dataset', 'synthetic', '--out', join(root, 'w2'))).code,
    ).toBe(0);
    const bad = await cli(...base, '--weights', join(root, 'trained'), '--classes', '3', '--out', join(root, 'w3'));
    expect([bad.code, bad.err]).toEqual([2, expect.stringMatching(/--weights has 10 classes, not 3/)]);
    const two = await cli(...base, '--weights', join(root, 'trained'), '--no-pretrained', '--out', join(root, 'w4'));
    expect(two.err).toMatch(/--weights and --no-pretrained exclude each other/);
  });

  it('reads a comma inside a label written as \\, and counts the labels against the classes', async () => {
    const dir = join(root, 'fw-labels');
    const r = await cli(
      '--model',
      'tiny-cnn',
      '--classes',
      '2',
      '--labels',
      'cat\\, big,dog\\\\',
      '--dataset',
      'synthetic',
      '--out',
      dir,
    );
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'model/tt_model_data.c'), 'utf8')).toMatch(/"cat, big",\s*"dog\\134",/);
    const n = await cli('--model', 'tiny-cnn', '--classes', '3', '--labels', 'a,b', '--out', join(root, 'x'));
    expect([n.code, n.err]).toEqual([2, expect.stringMatching(/--labels has 2 names for 3 classes/)]);
  });

  it('is wired into bin/tinytrain.mjs', () => {
    const help = execFileSync('node', [join(REPO_ROOT, 'bin/tinytrain.mjs'), 'help'], { encoding: 'utf8' });
    expect(help).toMatch(/^ {2}firmware +write the firmware bundle/m);
  });
});
