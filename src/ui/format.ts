/** Number formatting and the category palette shared by the panels. */

/** 1 KB = 1024 bytes, like the paper's figures. */
export function kb(bytes: number, digits = 1): string {
  return `${(bytes / 1024).toFixed(digits)} KB`;
}

export function bytesShort(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

export function shape(dims: readonly number[]): string {
  return dims.join('×');
}

export function ratioLabel(r: number): string {
  if (r === 0) return '—';
  if (r === 1) return '1';
  return `1/${Math.round(1 / r)}`;
}

export type MemoryCategory = 'trainable' | 'input' | 'activation' | 'saved' | 'mask' | 'gradient' | 'scratch';

/** Stacking order (bottom to top) and colours of the memory timeline. */
export const CATEGORY_STYLE: Record<MemoryCategory, { label: string; color: string }> = {
  trainable: { label: 'trainable weights', color: '#3a9d5d' },
  input: { label: 'input', color: '#a7b0bb' },
  activation: { label: 'activations', color: '#8db7e3' },
  saved: { label: 'saved', color: '#2f6db5' },
  mask: { label: 'masks', color: '#a46cc4' },
  gradient: { label: 'gradients', color: '#e07b39' },
  scratch: { label: 'scratch', color: '#c9a93a' },
};
export const CATEGORY_ORDER: MemoryCategory[] = [
  'trainable',
  'input',
  'activation',
  'saved',
  'mask',
  'gradient',
  'scratch',
];
