/**
 * The kernels' sources for the browser: Vite inlines kernels-c/include and kernels-c/src as text, in a chunk
 * loaded only when the user downloads firmware. (The CLI reads the same files from disk: src/cli/firmware.ts.)
 */
import type { KernelSources } from './bundle';

const loaders = import.meta.glob(['../../../kernels-c/include/*.h', '../../../kernels-c/src/*.{c,h}'], {
  query: '?raw',
  import: 'default',
});

/** Loads every kernel source file, keyed by its path under kernels-c/ ('src/tt_conv.c'). */
export async function loadKernelSources(): Promise<KernelSources> {
  const entries = await Promise.all(
    Object.entries(loaders).map(
      async ([path, load]) => [path.replace(/^.*kernels-c\//, ''), (await load()) as string] as const,
    ),
  );
  return Object.fromEntries(entries);
}
