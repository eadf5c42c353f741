/**
 * What the Chromium benchmarks share: the load average as one line, and `vite preview` started and stopped.
 * vite is started from node_modules/.bin in a process group of its own and the whole group is stopped: killing
 * an `npx vite` child stopped npx and left vite holding the port, so the next run on it timed out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';

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

/** `vite preview` of the built site (dist/) on `port`, in its own process group. */
export function startPreview(root: string, port: number): ChildProcess {
  const vite = join(root, 'node_modules', '.bin', 'vite');
  return spawn(vite, ['preview', '--port', String(port), '--strictPort'], {
    cwd: root,
    stdio: 'ignore',
    detached: true,
  });
}

/** Stops a preview started by startPreview, with every process of its group. */
export function stopPreview(server: ChildProcess): void {
  if (server.pid === undefined) return;
  try {
    process.kill(-server.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}
