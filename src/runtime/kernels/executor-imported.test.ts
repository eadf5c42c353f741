/**
 * The real TFLite Micro models import (micro_speech: a rectangular 10x8 general conv at strides 2, pads 4 top and
 * 3 left; hello_world: three fc layers), compile, and run bit-identically on the WebAssembly executor and the
 * reference interpreter: inference logits, training losses and the updated weights. Training on synthetic
 * inputs moves the loss and stays finite.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/compile';
import { importModel } from '../../compiler/import';
import { descriptionToModel } from '../../compiler/import/to-model';
import { createState, evaluate, trainStep } from '../../compiler/interpret';
import { Rounding } from '../../compiler/kernel-abi';
import { mulberry32 } from '../../compiler/models/init';
import { rngState, type RunSettings } from '../../compiler/settings';
import { loadWasm, paths } from '../testing/kernel-harness';
import { PlanExecutor } from './executor';
import type { KernelModule } from './wasm';

const MODELS = fileURLToPath(new URL('../../../../shared/models/', import.meta.url));
const settings: RunSettings = { lr: 0.05, rounding: 'nearest', qas: true, seed: 7 };

let mod: KernelModule;
beforeAll(async () => {
  mod = await loadWasm(paths.wasmSimd);
});

describe.skipIf(!existsSync(MODELS))('imported TFLite Micro models on the executor and the interpreter', () => {
  it.each([
    ['micro_speech_quantized.tflite', 4],
    ['hello_world_int8.tflite', 3],
  ])(
    '%s: bit-identical inference and training; the loss moves',
    (file, classes) => {
      const d = importModel(new Uint8Array(readFileSync(MODELS + file)), file);
      const m = descriptionToModel(d, { name: file.split('_')[0], classes });
      const plan = compile(m, 'full');
      const ex = PlanExecutor.load(mod, plan, settings);
      const st = createState(plan, rngState(settings.seed));
      const rand = mulberry32(11);
      const ex8 = Array.from({ length: 4 }, (_, k) => ({
        image: Int8Array.from({ length: plan.input.bytes }, () => Math.floor(rand() * 256) - 128),
        label: k % classes,
      }));
      for (const { image, label } of ex8) {
        ex.evaluate(image, label);
        expect(ex.logits(true)).toEqual(evaluate(plan, st, image, label).logits);
      }
      const o = { lr: settings.lr, rounding: Rounding[settings.rounding], qas: true };
      const losses: number[] = [];
      for (let step = 0; step < 6; step++)
        for (const { image, label } of ex8) {
          const loss = ex.trainStep(image, label);
          expect(Math.fround(loss)).toBe(trainStep(plan, st, image, { ...o, label }).loss);
          losses.push(loss);
        }
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(new Set(losses.map((l) => l.toFixed(4))).size).toBeGreaterThan(1);
      const sram = plan.consts.flatMap((c, i) => (c.storage === 'sram' ? [st.consts[i]] : []));
      ex.trainable().forEach((t, i) => expect(Array.from(t.data), t.name).toEqual(Array.from(sram[i])));
      ex.dispose();
    },
    60_000,
  );
});
