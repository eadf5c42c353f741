import { describe, expect, it } from 'vitest';
import { elements } from './ir/graph';
import { LAYER_KIND_TABLE, layerKind } from './layer-kinds';
import { buildModel } from './models/model';

describe('layer-kind table', () => {
  const m = buildModel({ model: 'mcunet-5fps', resolution: 64, classes: 10 });
  const layers = [...m.convs, m.classifier];

  it('describes every layer of a real model: weight size, channel of each weight, MACs', () => {
    for (const l of layers) {
      const row = layerKind(l);
      expect(elements(row.weightShape(l)), l.name).toBe(l.weight.length);
      expect(row.fanIn(l) * l.outC, l.name).toBe(l.weight.length);
      // every output channel owns exactly fanIn weights
      const count = new Array<number>(l.outC).fill(0);
      const chan = row.channelOf(l);
      for (let e = 0; e < l.weight.length; e++) count[chan(e)]++;
      expect(new Set(count), l.name).toEqual(new Set([row.fanIn(l)]));
    }
    const dw = m.convs.find((l) => l.kind === 'depthwise')!;
    expect(layerKind(dw).macs(dw)).toBe(dw.outH * dw.outW * dw.kernel * dw.kernel * dw.outC);
    const fc = m.classifier;
    expect(layerKind(fc).macs(fc)).toBe(fc.inC * fc.outC);
  });

  it('counts a ratio in channels for depthwise and in input channels otherwise', () => {
    const g = { inC: 16, outC: 48, kernel: 3 };
    expect(LAYER_KIND_TABLE.conv.ratioChannels(g)).toBe(16);
    expect(LAYER_KIND_TABLE.pointwise.ratioChannels(g)).toBe(16);
    expect(LAYER_KIND_TABLE.depthwise.ratioChannels({ inC: 48, outC: 48 })).toBe(48);
    expect(LAYER_KIND_TABLE.depthwise.ratioWhat).toBe('channels');
    expect(LAYER_KIND_TABLE.fc.ratioWhat).toBe('input channels');
  });

  it('gives update geometry whose rows x cols is the weight gradient over k channels', () => {
    const g = { inC: 16, outC: 8, kernel: 3 };
    for (const [kind, row] of Object.entries(LAYER_KIND_TABLE)) {
      const geo = kind === 'depthwise' ? { ...g, inC: 8 } : kind === 'conv' ? g : { ...g, kernel: 1 };
      const u = row.update(geo, 4);
      expect(u.rows * u.cols, kind).toBe(elements(row.weightShape(geo, 4)));
      expect(u.rowStride, kind).toBe(row.ratioChannels(geo));
    }
    expect(LAYER_KIND_TABLE.conv.updateScratchBytes(g, 4)).toBe(4 * 9 * 4);
    expect(LAYER_KIND_TABLE.pointwise.updateScratchBytes(g, 4)).toBe(16);
    expect(
      Object.entries(LAYER_KIND_TABLE)
        .filter(([, r]) => r.splittable)
        .map(([k]) => k),
    ).toEqual(['pointwise', 'fc']);
  });
});
