import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readKernelSources } from '../../cli/firmware-io';
import { BOARDS, boardById } from '../boards';
import { compile } from '../compile';
import { buildModel } from '../models/model';
import { generateFirmware } from '.';
import { latencyText } from './device-fit';
import { estimateInstructions, estimateLatency, stepWork, WORK } from './latency';
import { LATENCY_FIT } from './latency-coefficients.gen';

const mcunet148 = () => compile(buildModel({ model: 'mcunet-5fps', resolution: 128, classes: 10 }), 'paper:148kb');

/** The measured instructions of one training step, from the committed QEMU output (docs/raw/latency-qemu.txt). */
function measuredTotal(model: string, scheme: string): number {
  const raw = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'raw', 'latency-qemu.txt'), 'utf8');
  const part = raw
    .split(/^## case /m)
    .find((p) => p.startsWith(JSON.stringify({ model, resolution: 128, scheme, classes: 10 })))!;
  const spin = /^spin (\d+) ticks (\d+)$/m.exec(part)!;
  const total = [...part.matchAll(/^train \d+ total (\d+)/gm)].pop()!;
  return (Number(total[1]) * Number(spin[1])) / Number(spin[2]);
}

describe('latency model', () => {
  const plan = mcunet148();

  it('reads the work of every step from its arguments', () => {
    plan.steps.forEach((s, i) => {
      const w = stepWork(plan, i);
      expect(w.length, s.kernel).toBeGreaterThan(0);
      for (const x of w) expect(Number.isInteger(x) && x >= 0, `${s.kernel} ${w}`).toBe(true);
    });
    // a forward pointwise conv over all its rows: MACs = out elements x input channels
    const i = plan.steps.findIndex((s) => s.kernel === 'tt_pointwise_s8');
    const [macs, out] = stepWork(plan, i);
    expect(macs % out).toBe(0);
    expect(Object.keys(WORK).length).toBeGreaterThan(20);
  });

  it('has coefficients for every kernel of the published plans and predicts the measured count within 5%', () => {
    for (const k of new Set(plan.steps.map((s) => s.kernel))) expect(LATENCY_FIT.kernels[k], k).toBeDefined();
    const est = estimateInstructions(plan).total;
    const measured = measuredTotal('mcunet-5fps', 'paper:148kb');
    expect(Math.abs(est / measured - 1)).toBeLessThan(0.05);
  });

  it('turns instructions into ms with the calibrated Cortex-M7 factor and the board clock', () => {
    const f746 = estimateLatency(plan, boardById('stm32f746'));
    const h743 = estimateLatency(plan, boardById('stm32h743'));
    expect(f746.ms).toBeCloseTo((f746.instructions! * LATENCY_FIT.cpi['Cortex-M7']) / 216_000, 6);
    expect(h743.ms! / f746.ms!).toBeCloseTo(216 / 480, 9);
    // the paper measured 546 ms for this backbone: the calibration keeps it within 20%
    expect(Math.abs(f746.ms! / 546 - 1)).toBeLessThan(0.2);
    expect(estimateLatency(plan, boardById('rp2040')).ms).toBeNull();
    expect(estimateLatency(plan, boardById('esp32s3')).ms).toBeNull();
  });

  it('labels the figure as an estimate, or says why there is none', () => {
    const f746 = BOARDS[0];
    expect(latencyText(estimateLatency(plan, f746), f746.name, f746.core)).toMatch(
      /^est\. training step ~\d+ ms on STM32F746 @ 216 MHz$/,
    );
    const pico = boardById('rp2040');
    expect(latencyText(estimateLatency(plan, pico), pico.name, pico.core)).toContain('no latency estimate');
  });

  it('a measurement build marks every training step once; the default build has no marks', () => {
    const o = {
      board: boardById('stm32f746'),
      settings: { lr: 0.01, rounding: 'nearest' as const, qas: true, seed: 1 },
      kernelSources: readKernelSources(),
      steps: 1,
    };
    const plain = generateFirmware(plan, o).files['model/tt_model.c'];
    expect(plain).not.toContain('TT_PROFILE_STEP');
    const text = generateFirmware(plan, { ...o, profile: true }).files['model/tt_model.c'];
    const marked: number[] = [];
    let loop: number | null = null;
    for (const line of text.split('\n')) {
      const reps = /for \(int32_t b = 0; b < (\d+); b\+\+\)/.exec(line);
      if (reps) loop = Number(reps[1]);
      if (line === '  }') loop = null;
      const m = /TT_PROFILE_STEP\((-?\d+)(?: \+ (\d+) \* b)?\);/.exec(line);
      if (!m) continue;
      const base = Number(m[1]);
      if (m[2] === undefined) marked.push(base);
      else for (let b = 0; b < loop!; b++) marked.push(base + Number(m[2]) * b);
    }
    const inTrain = marked.filter((i) => i >= 0).sort((a, b) => a - b);
    expect(inTrain).toEqual(plan.steps.map((_, i) => i));
    expect(marked.filter((i) => i === -1)).toHaveLength(1);
  });
});
