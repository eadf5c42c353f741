import { describe, expect, it } from 'vitest';
import { boardById } from '../boards';
import { compile } from '../compile';
import { buildModel } from '../models/model';
import { sramCost, sramLatencyCost } from './cost';
import { evolve } from './evolve';
import { objective, randomGains } from './gains';
import { estimatedStepMs } from './latency';
import { emptyGenome, genomeText, searchSpace, type Genome } from './space';
import { mulberry32 } from '../models/init';

const model = buildModel({ model: 'tiny-cnn', resolution: 32, classes: 10 });
const space = searchSpace(model, 4);
const f746 = boardById('stm32f746');
const ms = (g: Genome) => estimatedStepMs(compile(model, genomeText(space, g)), 'stm32f746')!;
const full: Genome = { bias: space.maxBias, ratio: space.layers.map((l) => l.ratios.length - 1) };

describe('latency budget in the search', () => {
  it('prices a scheme over the latency budget out and leaves the others at their peak SRAM', () => {
    const none = emptyGenome(space);
    expect(ms(full)).toBeGreaterThan(ms(none));
    const mid = (ms(full) + ms(none)) / 2;
    const sram = sramCost(space, model);
    const both = sramLatencyCost(space, model, { board: f746, latencyMs: mid });
    expect(both.cost(none)).toBe(sram.cost(none));
    expect(both.cost(full)).toBe(Infinity);
    const loose = sramLatencyCost(space, model, { board: f746, latencyMs: 1e7 });
    expect(loose.cost(full)).toBe(sram.cost(full));
  });

  it('the searched scheme keeps within both budgets', () => {
    const gains = randomGains(space, mulberry32(3));
    const obj = objective(space, gains);
    const none = emptyGenome(space);
    const limit = ms(none) + 0.3 * (ms(full) - ms(none));
    const r = evolve(obj, sramLatencyCost(space, model, { board: f746, latencyMs: limit }), 1e9, {
      seed: 1,
      population: 8,
      generations: 2,
    })!;
    expect(estimatedStepMs(compile(model, r.scheme), 'stm32f746')!).toBeLessThanOrEqual(limit);
    const free = evolve(obj, sramCost(space, model), 1e9, { seed: 1, population: 8, generations: 5 })!;
    expect(free.gain).toBeGreaterThanOrEqual(r.gain);
  });

  it('refuses a latency budget on a board without a calibrated factor', () => {
    expect(() => sramLatencyCost(space, model, { board: boardById('rp2040'), latencyMs: 100 })).toThrow(
      /Cortex-M7 only/,
    );
  });
});
