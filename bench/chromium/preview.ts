/** What the Chromium benchmarks share: the load average as one line, and waiting for `vite preview` to answer. */
import { loadavg } from 'node:os';

export const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

export async function waitForServer(url: string, ms: number): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}
