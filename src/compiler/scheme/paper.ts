/**
 * The published sparse-update schemes of the paper (PAPER-FACTS section 3), in the public config's terms:
 * n_bias_update (biases of the last n convs), manual_weight_idx (0-based conv indices) and
 * weight_update_ratio (one per index; 0 means that weight is not updated). Budgets are the paper's labels.
 */
export interface PaperScheme {
  budget: string;
  nBias: number;
  weightIdx: readonly number[];
  ratios: readonly number[];
}

export const PAPER_SCHEMES: Record<string, readonly PaperScheme[]> = {
  'mcunet-5fps': [
    { budget: '49kb', nBias: 20, weightIdx: [23, 24, 27, 30, 33, 39], ratios: [0, 0.25, 0.5, 0.5, 0, 0] },
    { budget: '74kb', nBias: 21, weightIdx: [21, 23, 24, 26, 27, 30], ratios: [1, 0, 1, 0, 0.5, 1] },
    { budget: '99kb', nBias: 22, weightIdx: [21, 24, 27, 30, 36, 39], ratios: [1, 1, 1, 1, 0.125, 0.25] },
    { budget: '124kb', nBias: 24, weightIdx: [21, 24, 27, 30, 33, 39], ratios: [0.25, 1, 1, 1, 0.5, 0.5] },
    { budget: '148kb', nBias: 23, weightIdx: [21, 24, 27, 30, 36, 39], ratios: [1, 1, 1, 1, 1, 0.5] },
  ],
  'mbv2-w0.35': [
    {
      budget: '49kb',
      nBias: 16,
      weightIdx: [36, 39, 40, 41, 42, 45, 48, 49],
      ratios: [1, 1, 0, 0.25, 0.125, 0.125, 0.125, 0.125],
    },
    {
      budget: '73kb',
      nBias: 20,
      weightIdx: [32, 33, 36, 39, 41, 42, 45, 48],
      ratios: [0.125, 0.5, 0.5, 1, 0.25, 0.125, 0.125, 1],
    },
    { budget: '99kb', nBias: 25, weightIdx: [27, 30, 33, 36, 39, 42, 45, 48], ratios: [1, 1, 1, 1, 1, 0.125, 0.5, 1] },
    { budget: '123kb', nBias: 31, weightIdx: [27, 30, 33, 36, 39, 42, 45, 48], ratios: [1, 1, 1, 1, 1, 0.5, 1, 1] },
    { budget: '138kb', nBias: 34, weightIdx: [27, 30, 33, 36, 39, 42, 45, 48], ratios: [1, 1, 1, 1, 1, 1, 1, 1] },
  ],
  'proxyless-w0.3': [
    {
      budget: '49kb',
      nBias: 21,
      weightIdx: [39, 42, 44, 45, 50, 51, 54, 57],
      ratios: [0.25, 1, 0, 1, 0, 0.125, 0.25, 0.25],
    },
    {
      budget: '74kb',
      nBias: 28,
      weightIdx: [33, 36, 39, 42, 45, 51, 54, 57],
      ratios: [0.5, 0.25, 1, 1, 1, 0.5, 0.25, 0.5],
    },
    { budget: '98kb', nBias: 25, weightIdx: [36, 39, 42, 45, 48, 51, 54, 57], ratios: [1, 0.5, 1, 1, 0.25, 0.5, 1, 1] },
    { budget: '120kb', nBias: 32, weightIdx: [36, 39, 42, 45, 48, 51, 54, 57], ratios: [1, 1, 1, 1, 0.5, 1, 1, 1] },
    { budget: '148kb', nBias: 45, weightIdx: [36, 39, 42, 45, 48, 51, 54, 57], ratios: [1, 1, 1, 1, 1, 1, 1, 1] },
  ],
};

/** Budget labels of a model's published schemes ('paper:<budget>'), smallest first. */
export function paperBudgets(model: string): string[] {
  return (PAPER_SCHEMES[model] ?? []).map((s) => s.budget);
}
