import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARCHS, archShapes, layerMacs } from './arch';

// The shared reference file sits beside the repository (../shared in CI's fresh clone, /work/shared here).
const candidates = [
  resolve(__dirname, '../../../../shared/reference/mcu-backbones.json'),
  '/work/shared/reference/mcu-backbones.json',
];
const refPath = candidates.find((p) => existsSync(p));

describe('backbone architectures', () => {
  it('have the paper conv counts and MACs at 128x128 (PAPER-FACTS section 6)', () => {
    const want = { 'mcunet-5fps': [42, 22.5e6], 'mbv2-w0.35': [51, 16.6e6], 'proxyless-w0.3': [60, 18.6e6] } as const;
    for (const [name, [count, macs]] of Object.entries(want)) {
      const s = archShapes(ARCHS[name as keyof typeof want], 128, 3, 1000);
      expect(s.convs.length).toBe(count);
      const total = s.convs.reduce((a, l) => a + layerMacs(l), 0) + layerMacs(s.classifier);
      expect(Math.abs(total - macs) / macs).toBeLessThan(0.03);
    }
  });

  it.runIf(refPath)('match every conv of mcu-backbones.json at 128x128', () => {
    const ref = JSON.parse(readFileSync(refPath!, 'utf8')) as Record<
      string,
      { first_conv: RefConv; blocks: Record<string, RefConv | null>[]; classifier_in: number }
    >;
    for (const [name, m] of Object.entries(ref)) {
      const s = archShapes(ARCHS[name as keyof typeof ARCHS], 128, 3, 1000);
      const refConvs = [
        m.first_conv,
        ...m.blocks.flatMap((b) => [b.pw1, b.dw, b.pw2].filter((c): c is RefConv => c !== null)),
      ];
      expect(s.convs.length).toBe(refConvs.length);
      refConvs.forEach((c, i) => {
        const l = s.convs[i];
        expect([l.inC, l.outC, l.kernel, l.stride, l.kind === 'depthwise', l.inH, l.outH]).toEqual([
          c.in,
          c.out,
          c.k,
          c.stride,
          c.depthwise,
          c.in_hw,
          c.out_hw,
        ]);
      });
      expect(s.blocks.map((b) => b.residual)).toEqual(m.blocks.map((b) => b.residual));
      expect(s.classifier.inC).toBe(m.classifier_in);
    }
  });

  it('derive spatial sizes with out = ceil(in / stride) at odd resolutions', () => {
    const s = archShapes(ARCHS['mcunet-5fps'], 97, 3, 10);
    expect(s.convs[0].outH).toBe(49);
    const last = s.convs[s.convs.length - 1];
    expect(last.outH).toBe(Math.ceil(Math.ceil(Math.ceil(Math.ceil(49 / 2) / 2) / 2) / 2));
  });
});

interface RefConv {
  in: number;
  out: number;
  k: number;
  stride: number;
  depthwise: boolean;
  in_hw: number;
  out_hw: number;
}
