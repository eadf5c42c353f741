import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile';
import { buildModel } from '../compiler/models/model';
import { main } from './main';
import { budgetOption, shardOption } from './search';
import { estimatedStepMs } from '../compiler/search/latency';

const dir = mkdtempSync(join(tmpdir(), 'tt-search-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out, err };
}

const BASE = ['search', '--model', 'tiny-cnn', '--data', 'mnist', '--budget', '24kb', '--steps', '20'];
const SMALL = [...BASE, '--layers', '2', '--validation', '100', '--population', '12', '--generations', '8'];

describe('tinytrain search', () => {
  it('parses budgets and shards strictly', () => {
    expect(budgetOption('128kb')).toBe(131072);
    expect(budgetOption('5000')).toBe(5000);
    for (const bad of ['', '1.5kb', '-1', '12mb', '0', 'kb']) expect(() => budgetOption(bad)).toThrow(/--budget/);
    expect(shardOption('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['4/4', '1/0', '-1/4', '1of4', '1/']) expect(() => shardOption(bad)).toThrow(/--shard/);
  });

  it('merges 4 shards into exactly the single-run report, and the cache replays it', async () => {
    const single = await cli([...SMALL, '--exact', '--no-cache', '--json']);
    expect(single.err).toEqual([]);
    expect(single.code).toBe(0);
    const r = JSON.parse(single.out[0]);
    const files: string[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await cli([...SMALL, '--exact', '--cache', join(dir, 'cache'), '--shard', `${i}/4`]);
      expect(s.code).toBe(0);
      const shard = JSON.parse(s.out[0]);
      expect(shard.runs.length).toBe(Math.ceil((r.runs.length - i) / 4));
      files.push(join(dir, `shard-${i}.json`));
      writeFileSync(files[i], s.out[0]);
    }
    const merged = await cli(['search', '--merge', ...files.reverse(), '--no-cache', '--json']);
    expect(merged.code).toBe(0);
    expect(merged.out[0]).toBe(single.out[0]);
    // the shards filled the cache: a full run now reads every run from it, with the same answer
    expect(readdirSync(join(dir, 'cache')).length).toBe(r.runs.length);
    const cached = await cli([...SMALL, '--exact', '--cache', join(dir, 'cache'), '--json']);
    expect(cached.out[0]).toBe(single.out[0]);
    // a latency budget between classifier-only and the unconstrained answer: the answer keeps within it
    const model10 = buildModel({ model: 'tiny-cnn', resolution: 32, classes: 10 });
    const classifierMs = estimatedStepMs(compile(model10, 'classifier'), 'stm32f746')!;
    const limit = (classifierMs + r.best.estStepMs) / 2;
    const timed = await cli([...SMALL, '--cache', join(dir, 'cache'), '--latency-ms', String(limit), '--json']);
    expect(timed.code).toBe(0);
    const t = JSON.parse(timed.out[0]);
    expect([t.request.latencyMs, t.request.board]).toEqual([limit, 'stm32f746']);
    expect(t.best.estStepMs).toBeLessThanOrEqual(limit);
    expect(t.best.estStepMs).toBe(estimatedStepMs(compile(model10, t.best.scheme), 'stm32f746'));

    // what the report says holds: 2 layers (convs 7, 8), 3 bias runs and 4 ratios for each of the 2 layers
    expect(r.space.layers.map((l: { conv: number }) => l.conv)).toEqual([7, 8]);
    expect(r.runs.length).toBe(3 + 2 * 4);
    expect(r.runs[0].scheme).toBe('classifier');
    expect(r.runs[0].examples).toBe(100);
    expect(r.gains.bias[0]).toBe(0);
    expect(r.summed.gain).toBe(r.exact.gain);
    expect(r.summed.gain).toBeGreaterThanOrEqual(r.bestLastK.gain);
    // the finalists ran like contribution runs (1000 steps by default): the answer is the one of best validation
    // accuracy; with --finalist-steps equal to --steps, a finalist that is also a contribution run scores exactly
    // what that run scored
    expect(r.request.finalistSteps).toBe(1000);
    const finals = r.finalists as { scheme: string; gain: number; accuracy: number }[];
    expect(finals.map((f) => f.scheme)).toContain(r.summed.scheme);
    const top = Math.max(...finals.map((f) => f.accuracy));
    expect(finals.find((f) => f.accuracy === top)!.scheme).toBe(r.best.scheme);
    for (const f of finals) expect(f.accuracy).toBeGreaterThanOrEqual(0);
    const short = JSON.parse((await cli([...SMALL, '--finalist-steps', '20', '--no-cache', '--json'])).out[0]);
    expect(short.finalists.map((f: { scheme: string }) => f.scheme)).toEqual(finals.map((f) => f.scheme));
    let shared = 0;
    for (const f of short.finalists as { scheme: string; accuracy: number }[]) {
      const same = short.runs.find((x: { scheme: string }) => x.scheme === f.scheme);
      if (same) expect([f.scheme, f.accuracy]).toEqual([f.scheme, same.accuracy]);
      if (same) shared++;
    }
    expect(shared).toBeGreaterThan(0);
    const plain = await cli([...SMALL, '--no-finalists', '--cache', join(dir, 'cache'), '--json']);
    const p = JSON.parse(plain.out[0]);
    expect([p.finalists, p.best]).toEqual([[], r.summed]);
    const model = buildModel({ model: 'tiny-cnn', resolution: 32, classes: 10 });
    expect(compile(model, r.best.scheme).metrics.peakSramBytes).toBe(r.best.peakSramBytes);
    expect(r.best.peakSramBytes).toBeLessThanOrEqual(24 * 1024);
    expect(r.request.pretrained).toBe('public/models/tiny-cnn.json');
  }, 120_000);

  it('refuses shard sets that do not belong together, in one line with the usage exit code', async () => {
    const a = await cli([...SMALL, '--no-cache', '--shard', '0/2']);
    const b = await cli([...SMALL, '--no-cache', '--seed', '2', '--shard', '1/2']);
    writeFileSync(join(dir, 'a.json'), a.out[0]);
    writeFileSync(join(dir, 'b.json'), b.out[0]);
    writeFileSync(join(dir, 'junk.json'), '{"format":"x"}');
    const damaged = JSON.parse(a.out[0]);
    damaged.request.budgetBytes = -5;
    writeFileSync(join(dir, 'damaged.json'), JSON.stringify(damaged));
    const cases: [string[], RegExp, number][] = [
      [[join(dir, 'a.json')], /shard 1 of 2 missing/, 2],
      [[join(dir, 'a.json'), join(dir, 'a.json')], /both shard 0\/2/, 2],
      [[join(dir, 'a.json'), join(dir, 'b.json')], /another search/, 2],
      [[join(dir, 'junk.json')], /not a tinytrain search shard file/, 1],
      [[join(dir, 'damaged.json')], /damaged.json: budgetBytes must be an integer from 1/, 1],
      [[join(dir, 'none.json')], /cannot|no such file/, 1],
    ];
    for (const [files, message, code] of cases) {
      const r = await cli(['search', '--merge', ...files, '--json']);
      expect(r.code).toBe(code);
      expect(r.err.length).toBe(1);
      expect(r.err[0]).toMatch(message);
    }
    // a full shard set whose model hash is not the model file's any more
    const a1 = await cli([...SMALL, '--no-cache', '--shard', '1/2']);
    for (const [name, text] of [
      ['t0.json', a.out[0]],
      ['t1.json', a1.out[0]],
    ]) {
      const f = JSON.parse(text);
      f.inputs.modelSha256 = '0'.repeat(64);
      writeFileSync(join(dir, name), JSON.stringify(f));
    }
    const changed = await cli(['search', '--merge', join(dir, 't0.json'), join(dir, 't1.json')]);
    expect([changed.code, changed.err.length]).toEqual([1, 1]);
    expect(changed.err[0]).toMatch(/changed since the shards ran/);
    const nothing = await cli([...BASE.slice(0, 5), '--budget', '1000', '--layers', '1', '--steps', '1', '--no-cache']);
    expect(nothing.code).toBe(3);
    expect(nothing.err).toEqual([expect.stringMatching(/nothing fits 1000 bytes: classifier only needs \d+/)]);
    const tooBig = await cli([...BASE, '--exact', '--no-cache']);
    expect([tooBig.code, tooBig.err.length]).toEqual([2, 1]);
    expect(tooBig.err[0]).toMatch(/--exact: the space has 7812500 schemes/);
    const usage = await cli(['search', '--merge', join(dir, 'a.json'), '--seed', '3']);
    expect(usage.code).toBe(2);
    const both = await cli([...SMALL, '--no-finalists', '--finalist-steps', '5']);
    expect([both.code, both.err]).toEqual([2, [expect.stringMatching(/exclude each other/)]]);
    expect((await cli(['search', '--model', 'tiny-cnn'])).err[0]).toMatch(/--budget is required/);
    for (const [extra, message] of [
      [['--board', 'stm32f746'], /--board is the board of --latency-ms/],
      [['--latency-ms', '0'], /--latency-ms/],
      [['--latency-ms', '50', '--board', 'rp2040'], /Cortex-M0\+ @ 133 MHz \(calibrated for Cortex-M7 only\)/],
    ] as const) {
      const bad = await cli([...SMALL, '--no-cache', ...extra]);
      expect([bad.code, bad.err.length]).toEqual([2, 1]);
      expect(bad.err[0]).toMatch(message);
    }
  }, 60_000);
});
