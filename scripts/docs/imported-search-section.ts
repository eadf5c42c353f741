/**
 * The README block of the imported-model search table (scripts/experiments/imported-search.ts): made from its
 * committed summary, docs/raw/imported-search.json (every run is in docs/raw/imported-search.jsonl).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../src/cli/train-run';
import { importedTable, type ImportedRow } from '../experiments/imported-table';
import type { ValidationRun } from '../experiments/search-choice';

interface Summary {
  settings: {
    modelFile: string;
    madeBy: string;
    classifier: string | number;
    evalExamples: number;
    steps: number;
    seeds: number[];
    lrs: number[];
    validation: number;
    contribution: { steps: number; lr: number; validation: number; layers: number };
  };
  plans: { budgetBytes: number; searched: { scheme: string; gain: number } }[];
  validation: ValidationRun[];
  rows: ImportedRow[];
}

const pct = (x: number) => (100 * x).toFixed(2);
const n = (x: number) => x.toLocaleString('en-US');

export function importedSearch(): { body: string } {
  const s = JSON.parse(readFileSync(join(ROOT, 'docs', 'raw', 'imported-search.json'), 'utf8')) as Summary;
  const t = s.settings;
  const c = t.contribution;
  // the test split's size, from the data set the runs read (evalExamples is the cap the runs were given)
  const manifest = JSON.parse(readFileSync(join(ROOT, 'public', 'data', 'mnist.json'), 'utf8'));
  const testCount: number = manifest.splits.test.count;
  const scored = Math.min(t.evalExamples, testCount);
  const gains = s.plans.map((p) => `${n(p.budgetBytes / 1024)} KB +${pct(p.searched.gain)}`).join(', ');
  const head =
    `tiny-cnn 32x32 (pretrained on Fashion-MNIST) exported by \`${t.madeBy}\` and imported back ` +
    `(\`--model ${t.modelFile.split('/').pop()} --classifier ${t.classifier}\`), fine-tuned on MNIST: ` +
    `${n(t.steps)} steps of batch 1 (cosine), seeds ${t.seeds.join(', ')}, test accuracy on ` +
    `${scored === testCount ? `all ${n(testCount)}` : `the first ${n(scored)}`} MNIST test images of the shipped subset. ` +
    `Contribution analysis over all ${c.layers} convs (${c.steps} steps at lr ${c.lr}, ${n(c.validation)} validation ` +
    `images); summed validation gain of the searched scheme: ${gains} points. Learning rate per cell from ` +
    `${t.lrs.join(', ')} on the validation split (the last ${n(t.validation)} MNIST training images, seed 1); the ` +
    `last-k is the k (and lr) of best validation accuracy among those that fit.`;
  return { body: `${head}\n\n${importedTable(s.rows, t.seeds.length)}` };
}
