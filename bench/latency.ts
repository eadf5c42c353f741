/**
 * `npm run bench -- latency [--refit]`: measures instructions per plan step under QEMU (-icount shift=0), fits
 * the per-kernel latency model and calibrates the Cortex-M7 factor on the paper (scripts/latency/measure.ts).
 */
import { main } from '../scripts/latency/measure';

export default async function latency(args: string[]): Promise<void> {
  await main(args);
}
