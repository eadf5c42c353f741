/**
 * The band schedule of fused chains, checked by simulating the ring buffers: every row a stage reads must be
 * present in its input ring (physical row r % ring still holds logical row r) and already produced, and every
 * output row of every stage is produced exactly once, in order.
 */
import { describe, expect, it } from 'vitest';
import { convShape, type ConvShape } from '../kernel-abi';
import { mulberry32 } from '../models/init';
import { firstRows, scheduleBands } from './bands';

function chain(seed: number): ConvShape[] {
  const r = mulberry32(seed);
  let h = 8 + Math.floor(r() * 60);
  const n = 2 + Math.floor(r() * 3);
  return Array.from({ length: n }, () => {
    const k = [1, 3, 5, 7][Math.floor(r() * 4)];
    const s = k === 1 ? 1 : 1 + Math.floor(r() * 2);
    const out = Math.ceil(h / s);
    const shape = convShape({
      inH: h,
      inW: 4,
      inC: 2,
      outH: out,
      outW: 4,
      outC: 2,
      kernel: k,
      stride: s,
      pad: Math.floor(k / 2),
    });
    h = out;
    return shape;
  });
}

function simulate(stages: ConvShape[], bandRows: number, from = 0, to = stages[stages.length - 1].outH): number[] {
  const { rings, bands } = scheduleBands(stages, bandRows, from, to);
  const bad: string[] = [];
  const slots = rings.map((n) => new Array<number>(n).fill(-1));
  const produced = firstRows(stages, from);
  for (const band of bands) {
    for (const c of band.calls) {
      const s = stages[c.stage];
      expect(c.r0).toBe(produced[c.stage]);
      for (let y = c.r0; y < c.r1; y++) {
        for (let ky = 0; ky < s.kernel; ky++) {
          const iy = y * s.stride - s.pad + ky;
          if (c.stage === 0 || iy < 0 || iy >= s.inH) continue;
          const ring = slots[c.stage - 1];
          if (ring[iy % ring.length] !== iy)
            bad.push(`stage ${c.stage} row ${y} reads row ${iy}, slot holds ${ring[iy % ring.length]}`);
        }
      }
      if (c.stage < stages.length - 1) for (let y = c.r0; y < c.r1; y++) slots[c.stage][y % rings[c.stage]] = y;
      produced[c.stage] = c.r1;
    }
    expect(produced[stages.length - 1]).toBe(band.r1);
  }
  if (to === stages[stages.length - 1].outH) stages.forEach((s, i) => expect(produced[i]).toBe(s.outH));
  expect(produced[stages.length - 1]).toBe(to);
  expect(bad).toEqual([]);
  return rings;
}

describe('band schedule of fused chains', () => {
  it('reads only resident, produced rows and produces every row once (random chains)', () => {
    for (let seed = 1; seed <= 200; seed++) simulate(chain(seed), 1 + (seed % 3));
  });

  it('covers a range of output rows alone, halo rows computed again (random chains and ranges)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const stages = chain(seed);
      const h = stages[stages.length - 1].outH;
      const r = mulberry32(seed + 1000);
      const from = Math.floor(r() * h);
      const to = from + 1 + Math.floor(r() * (h - from));
      simulate(stages, 1 + (seed % 3), from, to);
    }
  });

  it('keeps rings a few rows deep: pointwise -> depthwise 3x3 s2 -> pointwise', () => {
    const h = 64;
    const pw1 = convShape({ inH: h, inW: h, inC: 8, outH: h, outW: h, outC: 32, kernel: 1, stride: 1, pad: 0 });
    const dw = convShape({ inH: h, inW: h, inC: 32, outH: 32, outW: h / 2, outC: 32, kernel: 3, stride: 2, pad: 1 });
    const pw2 = convShape({ inH: 32, inW: 32, inC: 32, outH: 32, outW: 32, outC: 16, kernel: 1, stride: 1, pad: 0 });
    expect(simulate([pw1, dw, pw2], 1)).toEqual([3, 1]);
  });
});
