/**
 * A worker_threads pool member for `npm run bench -- search` (the page uses web workers; same context class):
 * gets { job, data } once, then answers each { scheme } with its RunScore.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { ContributionContext, type ContributionJob } from '../../src/runtime/training/contribution-context';
import { fetchDataset } from '../../src/runtime/training/data';
import { loadWasm, paths } from '../../src/runtime/testing/kernel-harness';

const port = parentPort!;
let ctx: ContributionContext | null = null;

port.on(
  'message',
  async (m: { job?: ContributionJob; dataDir?: string; data?: string; scheme?: string; steps?: number }) => {
    try {
      if (m.job && m.dataDir && m.data) {
        const dir = m.dataDir;
        const read = async (u: string) => new Uint8Array(readFileSync(join(dir, u.slice(dir.length + 1))));
        const train = (await fetchDataset(dir, m.data, ['train'], read)).train;
        ctx = new ContributionContext(await loadWasm(paths.wasmSimd), m.job, train);
        port.postMessage({ ready: true });
      } else if (m.scheme !== undefined) {
        if (!ctx) throw new Error('no job');
        port.postMessage({ score: ctx.run(m.scheme, m.steps), hits: ctx.cache?.hits ?? 0 });
      }
    } catch (e) {
      port.postMessage({ error: e instanceof Error ? e.message : String(e) });
    }
  },
);
