import { deflateSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { defaultFieldValues } from './experiment';
import type { Experiment } from './experiment';
import { decodeExperiment, encodeExperiment } from './url';
import { checksum } from './url-bytes';

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

/** The sample as an imported model quantized on the page (model 'imported': the link's qz only means something there). */
function quantized(): Experiment {
  return {
    ...sample(),
    model: 'imported',
    modelFile: '0123456789abcdef',
    scheme: sample().scheme.slice(0, 9),
    quantization: { count: 120, range: [-1, 1] },
  };
}

describe('share URL codec', () => {
  it('round-trips every field', () => {
    for (const e of [sample(), quantized()]) {
      const { experiment, messages } = decodeExperiment(`#${encodeExperiment(e)}`);
      expect(messages).toEqual([]);
      expect(experiment).toEqual(e);
    }
    const small = { count: 7756, range: [0.5, 255] as [number, number] };
    const plain = encodeExperiment({ ...defaultFieldValues(), model: 'imported', quantization: small });
    expect(plain).toMatch(/&qz=7756%2C0\.5%2C255&h=/);
    expect(decodeExperiment(plain).experiment.quantization).toEqual(small);
  });

  it.each([
    ['abc'],
    ['120'],
    ['120,-1'],
    ['120,-1,1,2'],
    ['0,0,1'],
    ['1000001,0,1'],
    ['1.5,0,1'],
    ['-3,0,1'],
    ['120,1,0'],
    ['120,1,1'],
    ['120,NaN,1'],
    ['120,0,Infinity'],
    ['120,-2000,1'],
    ['120,0,1e999'],
    ['120,,1'],
    ['120;-1;1'],
    [' 120,-1,1'],
  ])('refuses the quantization qz=%s with one notice and keeps none', (bad) => {
    const { experiment, notices } = decodeExperiment(`#v=2&m=imported&qz=${encodeURIComponent(bad)}`);
    expect(experiment.quantization).toBeNull();
    const refused = notices.filter((n) => n.fields.includes('quantization') && /is not valid/.test(n.text));
    expect(refused).toHaveLength(1);
    expect(refused[0].text).toMatch(
      /^quantization \("qz=.*"\) is not valid \(expected empty, or N,LO,HI: N calibration images in \[1, 1000000\], an input range LO < HI within ±1000\); used the default\.$/,
    );
  });

  it('opens a version 1 link (made before qz existed) without a word about it', () => {
    // a real v1 link: every v1 field and its checksum, as the page wrote them before version 2
    const body = new URLSearchParams(encodeExperiment({ ...sample(), scheme: [] }));
    body.delete('h');
    body.delete('qz');
    body.set('v', '1');
    const v1 = `${body.toString()}&h=${checksum(body.toString())}`;
    const { experiment, notices } = decodeExperiment(v1);
    expect(notices).toEqual([]);
    expect(experiment).toEqual({ ...sample(), scheme: [], quantization: null });
    // cut or edited, the version cannot be trusted: then a missing qz is named like any missing field
    expect(decodeExperiment(v1.slice(0, v1.indexOf('&h='))).messages).toContain(
      'The link has no quantization; used the default.',
    );
  });

  it('compresses when that is shorter and writes plain text otherwise', () => {
    const long = encodeExperiment(sample());
    expect(long.startsWith('z=')).toBe(true);
    const short = encodeExperiment(defaultFieldValues());
    expect(short.startsWith('v=2&m=mcunet-5fps')).toBe(true);
  });

  it('reads an empty fragment as the defaults without complaint', () => {
    expect(decodeExperiment('')).toEqual({ experiment: defaultFieldValues(), notices: [], messages: [] });
    expect(decodeExperiment('#')).toEqual({ experiment: defaultFieldValues(), notices: [], messages: [] });
  });

  it('keeps valid fields and reports invalid ones', () => {
    const { experiment, messages } = decodeExperiment('#v=1&m=mbv2-w0.35&r=999&c=abc&zz=1&s=12x');
    expect(experiment.model).toBe('mbv2-w0.35');
    expect(experiment.resolution).toBe(128);
    expect(experiment.classes).toBe(10);
    const text = messages.join('\n');
    expect(text).toMatch(
      /resolution \("r=999"\) is not valid \(expected a multiple of 16 in \[16, 224\]\); used the default 128/,
    );
    expect(text).toMatch(/classes \("c=abc"\) is not valid/);
    expect(text).toMatch(/scheme \("s=12x"\) is not valid/);
    expect(text).toMatch(/unknown field "zz"/);
    expect(text).toMatch(/no checksum .*: model\./);
    expect(text).toMatch(
      /The link has no board, budgetKb, preset, reorder, fusion, split, lr, rounding, qas, seed, modelFile, quantization; used/,
    );
    expect(messages).toHaveLength(6);
  });

  it('rejects numbers that only look valid', () => {
    for (const bad of ['lr=NaN', 'lr=Infinity', 'lr=1e999', 'lr=-1', 'r=0x80', 'r=128.0', 'seed=-5', 'q=true']) {
      const { experiment, notices } = decodeExperiment(`#v=1&${bad}`);
      const name = bad.startsWith('lr')
        ? 'lr'
        : bad.startsWith('r=')
          ? 'resolution'
          : bad.startsWith('q')
            ? 'qas'
            : 'seed';
      expect(notices[0].text, bad).toMatch(new RegExp(`^${name} \\(".*"\\) is not valid`));
      expect(notices[0].fields).toEqual([name]);
      expect(experiment).toEqual(defaultFieldValues());
    }
  });

  it('says so when the version is missing, newer or garbage', () => {
    expect(decodeExperiment('#m=mbv2-w0.35').messages[0]).toMatch(/no version/);
    expect(decodeExperiment('#v=7&m=mbv2-w0.35').messages[0]).toMatch(/newer version \(v7\)/);
    expect(decodeExperiment('#v=%00x').messages[0]).toMatch(/Unknown link version "\?x"/);
  });

  it('refuses damaged, over-long and bomb-like compressed links', () => {
    expect(decodeExperiment('#z=!!!').messages).toEqual([
      'The compressed link is not valid base64url.',
      `Nothing was restored; every field has its default (${Object.keys(defaultFieldValues()).join(', ')}).`,
    ]);
    expect(decodeExperiment('#z=AAAA').messages[0]).toMatch(/damaged|empty/);
    const good = encodeExperiment(sample());
    expect(decodeExperiment(`#${good.slice(0, good.length - 10)}`).messages[0]).toMatch(/damaged|cut short|base64url/);
    const bomb = `z=${b64url(deflateSync(strToU8(`v=1&m=${'a'.repeat(1_000_000)}`)))}`;
    expect(bomb.length).toBeLessThan(4096);
    expect(decodeExperiment(bomb).messages[0]).toMatch(/more than 8 KB/);
    expect(decodeExperiment(`v=1&${'x'.repeat(5000)}`).messages[0]).toMatch(/too long/);
  });

  it('names the fields a cut link lost instead of silently resetting them', () => {
    const plain = encodeExperiment({ ...defaultFieldValues(), lr: 0.05, rounding: 'stochastic', seed: 7 });
    expect(plain.startsWith('v=2&')).toBe(true);
    const cut = plain.slice(0, plain.indexOf('&lr='));
    const { experiment, messages } = decodeExperiment(cut);
    expect(experiment.lr).toBe(0.01);
    expect(messages).toContain('The link has no lr, rounding, qas, seed, modelFile, quantization; used the default.');
    expect(messages.join('\n')).toMatch(
      /no checksum \(cut short or written by hand\); check these values: model, .*, split\./,
    );
  });

  it('reports a value changed after the link was made (checksum), naming every value it read', () => {
    const plain = encodeExperiment({ ...defaultFieldValues(), seed: 12345 });
    const edited = plain.replace('seed=12345', 'seed=12346');
    const { experiment, notices } = decodeExperiment(edited);
    expect(experiment.seed).toBe(12346);
    expect(notices).toHaveLength(1);
    expect(notices[0].text).toMatch(
      /^The link's checksum does not match \(damaged or edited\); check these values: .*seed, modelFile, quantization\.$/,
    );
    expect(notices[0].fields).toContain('seed');
  });

  it('says how many bytes follow the compressed stream, and still reads the link', () => {
    const packed = encodeExperiment(sample());
    const bytes = Buffer.from(packed.slice(2), 'base64url');
    const longer = `z=${b64url(new Uint8Array([...bytes, 7, 7, 7]))}`;
    const { experiment, messages } = decodeExperiment(longer);
    expect(experiment).toEqual(sample());
    expect(messages).toEqual(['The compressed link has 3 bytes after its end; ignored.']);
    // the same stream pasted twice
    const twice = decodeExperiment(`z=${b64url(new Uint8Array([...bytes, ...bytes]))}`);
    expect(twice.messages).toEqual([`The compressed link has ${bytes.length} bytes after its end; ignored.`]);
  });

  it('caps the messages at 8 plus one line for the rest, and clips long values', () => {
    const bad = 'm=x&r=1&c=1&b=x&kb=1&p=9&s=x&o=2&f=2&sp=2&lr=x&rd=x&q=2&seed=x&w=x&qz=x'.replace(
      'm=x',
      `m=${'w'.repeat(500)}`,
    );
    const { notices, messages } = decodeExperiment(`v=1&${bad}`);
    expect(notices).toHaveLength(16);
    expect(messages).toHaveLength(9);
    expect(messages[8]).toBe('…and 8 more.');
    expect(messages[0]).toBe(
      `model ("m=${'w'.repeat(24)}…") is not valid (expected one of mcunet-5fps, mbv2-w0.35, proxyless-w0.3, tiny-cnn, imported); used the default mcunet-5fps.`,
    );
    const unknown = decodeExperiment(`v=1&${Array.from({ length: 40 }, (_, i) => `k${i}\u202e=1`).join('&')}`);
    expect(unknown.messages[0]).toBe('Ignored unknown fields "k0?", "k1?", "k2?" and 37 more.');
  });
});
