import { describe, expect, it } from 'vitest';
import { buildModel } from '../models/model';
import { PAPER_SCHEMES } from './paper';
import { parseScheme, printScheme, SchemeError, type Ratio } from './scheme';

const mcunet = buildModel({ model: 'mcunet-5fps', classes: 10, resolution: 64 });
const mbv2 = buildModel({ model: 'mbv2-w0.35', classes: 10, resolution: 64 });

describe('scheme text form', () => {
  it('parses the paper example into the published 99kb scheme and prints it back by name', () => {
    const s = parseScheme('bias:22;w:21@1,24@1,27@1,30@1,36@1/8,39@1/4', mcunet);
    expect(s.bias.filter(Boolean).length).toBe(22);
    expect(s.bias.indexOf(true)).toBe(20);
    expect(s.weight.flatMap((r, i) => (r ? [[i, r]] : []))).toEqual([
      [21, 1],
      [24, 1],
      [27, 1],
      [30, 1],
      [36, 0.125],
      [39, 0.25],
    ]);
    expect(printScheme(s)).toBe('paper:99kb');
  });

  it('round-trips presets and clause forms through the canonical print', () => {
    const texts = [
      'full',
      'classifier',
      'bias-only',
      'last:6',
      'paper:49kb',
      'bias:5',
      'bias=3,5,10-12;w:7@1/2,9@1/4',
      'w:40@1/8',
    ];
    for (const t of texts) {
      const s = parseScheme(t, mcunet);
      expect(printScheme(s)).toBe(t);
      expect(parseScheme(printScheme(s), mcunet)).toEqual(s);
    }
    expect(printScheme(parseScheme('bias:42', mcunet))).toBe('bias-only');
    expect(printScheme(parseScheme('w:20-22@0.5', mcunet))).toBe('w:20@1/2,21@1/2,22@1/2');
  });

  it('expands every published scheme to its n_bias, indices and non-zero ratios', () => {
    for (const [model, list] of Object.entries(PAPER_SCHEMES)) {
      const m =
        model === 'mcunet-5fps'
          ? mcunet
          : model === 'mbv2-w0.35'
            ? mbv2
            : buildModel({ model, classes: 10, resolution: 64 });
      for (const p of list) {
        const s = parseScheme(`paper:${p.budget}`, m);
        expect(s.bias.filter(Boolean).length).toBe(p.nBias);
        const w = new Map(p.weightIdx.map((i, j) => [i, p.ratios[j]]));
        s.weight.forEach((r, i) => expect(r).toBe((w.get(i) ?? 0) as Ratio));
      }
    }
  });

  const bad: [string, RegExp][] = [
    ['w:45@1', /conv 45: index out of range .*mcunet-5fps has 42 convs/],
    ['w:21@0.3', /conv 21 \(blocks\.7\.pw1\): weight ratio 0\.3 is not allowed/],
    ['w:0@1/8', /conv 0 \(first_conv\): weight ratio 1\/8 of 3 input channels is not a whole number/],
    ['w:21@1;w:21@1/2', /conv 21 \(blocks\.7\.pw1\): weight ratio given twice/],
    ['bias:43', /expected a count from 0 to 42/],
    ['paper:10kb', /no published scheme of mcunet-5fps .*paper:49kb/],
    ['everything', /unknown scheme clause "everything"/],
    ['', /empty scheme/],
  ];
  it.each(bad)('rejects "%s" with a message naming the layer or clause', (text, msg) => {
    expect(() => parseScheme(text, mcunet)).toThrow(SchemeError);
    expect(() => parseScheme(text, mcunet)).toThrow(msg);
  });
});
