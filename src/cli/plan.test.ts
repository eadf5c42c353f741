import { describe, expect, it } from 'vitest';
import { main } from './main';

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('tinytrain plan', () => {
  it('prints one JSON object with the figures', async () => {
    const r = await cli(
      'plan',
      '--model',
      'mcunet-5fps',
      '--resolution',
      '64',
      '--classes',
      '10',
      '--scheme',
      'paper:49kb',
      '--json',
      '--repeat',
      '1',
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    for (const k of ['peakSramBytes', 'arenaBytes', 'trainableSramBytes', 'flashBytes', 'planSteps', 'compileMs'])
      expect(typeof j[k]).toBe('number');
    expect(j.peakSramBytes).toBe(j.arenaBytes + j.trainableSramBytes);
    expect(j.scheme).toBe('paper:49kb');
    expect([j.reorder, j.fusion]).toEqual([true, true]);
  });

  it('switches reordering and fusion off, which costs memory', async () => {
    const args = [
      'plan',
      '--model',
      'mbv2-w0.35',
      '--resolution',
      '64',
      '--scheme',
      'paper:138kb',
      '--json',
      '--repeat',
      '1',
    ];
    const on = JSON.parse((await cli(...args)).out);
    const off = JSON.parse((await cli(...args, '--no-reorder', '--no-fusion')).out);
    expect([off.reorder, off.fusion]).toEqual([false, false]);
    expect(off.arenaBytes).toBeGreaterThan(2 * on.arenaBytes);
  });

  it('stores partially updated weights split by default; --no-split keeps them whole in SRAM', async () => {
    const args = ['plan', '--model', 'mcunet-5fps', '--resolution', '64', '--scheme', 'paper:99kb', '--json'];
    const on = JSON.parse((await cli(...args, '--repeat', '1')).out);
    const off = JSON.parse((await cli(...args, '--repeat', '1', '--no-split')).out);
    expect([on.split, off.split]).toEqual([true, false]);
    // conv 36 (96 -> 384) updated at 1/8 and conv 39 (96 -> 576) at 1/4: their other columns move to flash
    const tails = 384 * (96 - 12) + 576 * (96 - 24);
    expect(off.trainableSramBytes - on.trainableSramBytes).toBe(tails);
    expect(on.flashBytes).toBeGreaterThan(off.flashBytes + tails - 1024); // + the heads' new shape structs
    expect(on.peakSramBytes).toBeLessThan(off.peakSramBytes - 16 * 1024); // the assembled copy costs arena here
  });

  it('rejects bad arguments with a clear message and a non-zero exit', async () => {
    const cases: [string[], number, RegExp][] = [
      [['plan'], 2, /--model is required/],
      [['plan', '--model', 'resnet'], 2, /--model must be one of mcunet-5fps, .*; got "resnet"/],
      [['plan', '--model', 'tiny-cnn', '--resolution', 'big'], 2, /--resolution must be an integer from 8 to 224/],
      [['plan', '--model', 'tiny-cnn', '--classes', '1'], 2, /--classes must be an integer from 2 to 1000/],
      [['plan', '--model', 'tiny-cnn', '--frobnicate'], 2, /unknown option "--frobnicate"/],
      [
        ['plan', '--model', 'mcunet-5fps', '--resolution', '64', '--scheme', 'w:45@1'],
        2,
        /conv 45: index out of range/,
      ],
      [
        ['plan', '--model', 'tiny-cnn', '--pretrained', '/nonexistent/model'],
        1,
        /cannot read model file "\/nonexistent\/model.json": no such file/,
      ],
      [['fly'], 2, /unknown command "fly"/],
    ];
    for (const [argv, code, msg] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(code);
      expect(r.err, argv.join(' ')).toMatch(msg);
    }
  });

  it('lists the subcommands and prints usage on --help', async () => {
    const h = await cli('help');
    expect(h.out).toMatch(/plan\s+compile a training plan/);
    const u = await cli('plan', '--help');
    expect(u.code).toBe(0);
    expect(u.out).toMatch(/--no-reorder/);
  });

  it('prints the kernel calls, the arena plan and the graph on request', async () => {
    const r = await cli('plan', '--model', 'tiny-cnn', '--scheme', 'last:2', '--steps', '--memory', '--repeat', '1');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/tt_pointwise_bwd_update_s8/);
    expect(r.out).toMatch(/^arena \d+ bytes, \d+ buffers, \d+ steps/m);
    const g = await cli('plan', '--model', 'tiny-cnn', '--scheme', 'last:2', '--graph', '--repeat', '1');
    expect(JSON.parse(g.out).format).toBe('tinytrain-graph');
  });
});
