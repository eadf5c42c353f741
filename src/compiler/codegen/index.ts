/**
 * The firmware generator's public API (pure TypeScript: the page and the CLI both use it).
 *   generateFirmware(plan, options) -> { name, files, fit }   the bundle (bundle.ts)
 *   firmwareFit(plan, board, sizes)  -> fits / does not fit, itemized SRAM and flash (fit.ts)
 *   bundleToZip(files, folder)       -> zip bytes (zip.ts)
 * The page's download helper, firmwareZip (download.ts), is not re-exported here: it loads the kernel sources
 * through Vite's import.meta.glob, which plain Node (the CLI) does not have.
 */
export { generateFirmware, DEFAULT_HEAP_BYTES, DEFAULT_STACK_BYTES } from './bundle';
export type { FirmwareBundle, FirmwareOptions, KernelSources } from './bundle';
export type { BundleContents } from './emit-build';
export { firmwareFit, printedCalls } from './fit';
export type { FirmwareBoard, FirmwareFit, MemoryFit, FitPart } from './fit';
export { bundleToZip } from './zip';
export { referencedConsts } from './fit';
export { pixelsToInput, syntheticSamples, defaultSampleCount } from './samples';
export type { FirmwareSample } from './samples';
export { deviceFit } from './device-fit';
export type { DeviceFit } from './device-fit';
