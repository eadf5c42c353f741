import { deflateSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { defaultFieldValues } from './experiment';
import type { Experiment } from './experiment';
import { decodeExperiment, encodeExperiment } from './url';

const b64url = (b: Uint8Array) =>
  Buffer.from(b).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function sample(): Experiment {
  return {
    ...defaultFieldValues(),
    model: 'mbv2-w0.35',
    resolution: 160,
    classes: 37,
    board: 'nrf52840',
    budgetKb: 200,
    preset: 'custom',
    scheme: Array.from({ length: 51 }, (_, i) => ({ bias: i > 30, ratio: i % 7 === 0 ? 0.25 : i > 45 ? 1 : 0 })),
    reorder: false,
    lr: 0.0125,
    rounding: 'stochastic',
    qas: false,
    seed: 987654,
  };
}

describe('share URL codec', () => {
  it('round-trips every field', () => {
    const e = sample();
    const { experiment, messages } = decodeExperiment(`#${encodeExperiment(e)}`);
    expect(messages).toEqual([]);
    expect(experiment).toEqual(e);
  });

  it('compresses when that is shorter and writes plain text otherwise', () => {
    const long = encodeExperiment(sample());
    expect(long.startsWith('z=')).toBe(true);
    const short = encodeExperiment(defaultFieldValues());
    expect(short.startsWith('v=1&m=mcunet-5fps')).toBe(true);
  });

  it('reads an empty fragment as the defaults without complaint', () => {
    expect(decodeExperiment('')).toEqual({ experiment: defaultFieldValues(), messages: [] });
    expect(decodeExperiment('#')).toEqual({ experiment: defaultFieldValues(), messages: [] });
  });

  it('keeps valid fields and reports invalid ones', () => {
    const { experiment, messages } = decodeExperiment('#v=1&m=mbv2-w0.35&r=999&c=abc&zz=1&s=12x');
    expect(experiment.model).toBe('mbv2-w0.35');
    expect(experiment.resolution).toBe(128);
    expect(experiment.classes).toBe(10);
    expect(messages).toHaveLength(4);
    expect(messages.join('\n')).toMatch(/"r=999" is not valid \(expected a multiple of 16 in \[16, 224\]\)/);
    expect(messages.join('\n')).toMatch(/unknown field "zz"/);
  });

  it('rejects numbers that only look valid', () => {
    for (const bad of ['lr=NaN', 'lr=Infinity', 'lr=1e999', 'lr=-1', 'r=0x80', 'r=128.0', 'seed=-5', 'q=true']) {
      const { experiment, messages } = decodeExperiment(`#v=1&${bad}`);
      expect(messages, bad).toHaveLength(1);
      expect(experiment).toEqual(defaultFieldValues());
    }
  });

  it('says so when the version is missing, newer or garbage', () => {
    expect(decodeExperiment('#m=mbv2-w0.35').messages[0]).toMatch(/no version/);
    expect(decodeExperiment('#v=7&m=mbv2-w0.35').messages[0]).toMatch(/newer version \(v7\)/);
    expect(decodeExperiment('#v=%00x').messages[0]).toMatch(/Unknown link version "\?x"/);
  });

  it('refuses damaged, over-long and bomb-like compressed links', () => {
    expect(decodeExperiment('#z=!!!').messages[0]).toMatch(/not valid base64url/);
    expect(decodeExperiment('#z=AAAA').messages[0]).toMatch(/damaged|empty/);
    const good = encodeExperiment(sample());
    expect(decodeExperiment(`#${good.slice(0, good.length - 10)}`).messages[0]).toMatch(/damaged|cut short|base64url/);
    const bomb = `z=${b64url(deflateSync(strToU8(`v=1&m=${'a'.repeat(1_000_000)}`)))}`;
    expect(bomb.length).toBeLessThan(4096);
    expect(decodeExperiment(bomb).messages[0]).toMatch(/more than 8 KB/);
    expect(decodeExperiment(`v=1&${'x'.repeat(5000)}`).messages[0]).toMatch(/too long/);
  });

  it('never throws on random input and always returns a complete experiment', () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = 'vzmrcbkpsoqlrd=&%#_-.0123456789abcxyzAZ\u00e9\u0000+/';
    const base = encodeExperiment(sample());
    for (let i = 0; i < 2000; i++) {
      let s: string;
      if (i % 2 === 0) {
        s = Array.from({ length: Math.floor(rand() * 80) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(
          '',
        );
      } else {
        const chars = [...base];
        for (let j = 0; j < 1 + rand() * 4; j++)
          chars[Math.floor(rand() * chars.length)] = alphabet[Math.floor(rand() * alphabet.length)];
        s = chars.join('');
      }
      const { experiment } = decodeExperiment(s);
      expect(Object.keys(experiment).sort()).toEqual(Object.keys(defaultFieldValues()).sort());
    }
  });
});
