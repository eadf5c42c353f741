/**
 * The page's one call for "Download firmware": loads the kernel sources (Vite, lazily), generates the bundle and
 * zips it under its folder name. The fit is returned alongside so the UI can show it (or refuse) before saving;
 * firmwareFit() alone gives it without generating anything.
 */
import { generateFirmware, type FirmwareOptions } from './bundle';
import type { FirmwareFit } from './fit';
import { loadKernelSources } from './kernel-sources.vite';
import type { TrainingPlan } from '../plan';
import { bundleToZip } from './zip';

export interface FirmwareZip {
  /** File name for the download, e.g. 'tinytrain-mcunet-5fps-128-stm32f746.zip'. */
  fileName: string;
  zip: Uint8Array;
  fit: FirmwareFit;
}

export async function firmwareZip(
  plan: TrainingPlan,
  options: Omit<FirmwareOptions, 'kernelSources'>,
): Promise<FirmwareZip> {
  const bundle = generateFirmware(plan, { ...options, kernelSources: await loadKernelSources() });
  return { fileName: `${bundle.name}.zip`, zip: bundleToZip(bundle.files, bundle.name), fit: bundle.fit };
}
