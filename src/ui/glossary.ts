/**
 * The one table of the paper's terms (Lin et al., "On-Device Training Under 256KB Memory", NeurIPS 2022) and
 * the playground's own, each with a one-line plain explanation. Every glossary tooltip on the page reads it.
 */
export const GLOSSARY = {
  'peak SRAM':
    'The most on-chip memory (SRAM) the training step needs at any moment: the arena plus the trainable weights. It must fit the budget.',
  flash: 'Read-only memory of the microcontroller: frozen weights and the program live there.',
  'sparse update':
    'Training only some layers (and only part of their weights or just their biases) so the backward pass stays small: the scheme picks which.',
  scheme: 'A sparse-update scheme: for each layer, whether its bias is updated and what fraction of its weight.',
  'reorder ops':
    'Operator reordering: apply each gradient to its weights right after it is computed, so no gradient buffer stays alive until the end of the backward pass.',
  'fuse frozen':
    'Run frozen blocks band by band (row strips), so their large expanded activations never exist whole in memory.',
  'split weights': 'Keep only the updated part of a partially trained weight in SRAM; the frozen rest stays in flash.',
  QAS: 'Quantization-aware scaling: rescales int8 gradients (weights by s_W^-2, biases by (s_W s_x)^-2) so int8 training converges like float training.',
  rounding: 'How a weight update is rounded back to int8: truncate, round to nearest, or stochastic rounding.',
  dW: 'ΔW (dW), the weight gradient: how the loss changes with a layer weight. Needed only for layers that are updated.',
  dx: '∂x (dx), the input gradient: how the loss changes with a layer input. Needed to pass the gradient further back.',
  db: 'Δb, the bias gradient: cheap, it needs no saved activation.',
  frozen: 'Not trained: the layer runs forward only and keeps its weights.',
  updated: 'Trained: the plan computes its weight (dW) or bias gradient and updates it in place.',
  'gradient only': 'Not updated, but the gradient (dx) passes through it to reach an updated layer further back.',
  pruned: 'Removed from the backward graph: no gradient is needed there, so it costs no memory or time.',
  arena: 'One static block of SRAM where the planner places every temporary tensor at a fixed offset.',
  saved: 'Activations kept from the forward pass because a weight gradient (dW) needs them.',
  masks: '1-bit records of where ReLU clamped, kept for the backward pass instead of the activation.',
  scratch: 'Temporary working memory of one kernel call.',
  'learning rate': 'How big a step each update takes.',
  seed: 'The random seed: the same seed gives the same training run, bit for bit.',
  budget: 'The SRAM you allow for training; the paper targets 256 KB.',
} as const;

export type GlossaryTerm = keyof typeof GLOSSARY;

export const PAPER_URL = 'https://arxiv.org/abs/2206.15472';
