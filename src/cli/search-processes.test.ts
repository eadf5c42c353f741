/**
 * Sharding across real OS processes: four `tinytrain search --shard i/4` processes run at once (as a job array
 * of Slurm, Kubernetes or GNU parallel would start them), and `tinytrain search --merge` of their outputs equals
 * one unsharded run byte for byte. search.test.ts checks the same in one process; this one goes through
 * bin/tinytrain.mjs (what `npx tinytrain` runs), stdout and the process exit, so a process that prints its
 * answer but never exits (kernel threads keeping it alive) fails here.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './firmware-io';

const BIN = join(REPO_ROOT, 'bin', 'tinytrain.mjs');
const EXIT_MS = 90_000;
const dir = mkdtempSync(join(tmpdir(), 'tt-shards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ran {
  code: number | null;
  out: string;
  err: string;
}

/** Runs the CLI in its own process; a process that has not exited after EXIT_MS is killed (code null). */
function tinytrain(args: string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const late = setTimeout(() => child.kill('SIGKILL'), EXIT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(late);
      resolve({ code, out, err });
    });
  });
}

const SMALL = ['search', '--model', 'tiny-cnn', '--data', 'mnist', '--budget', '24kb', '--steps', '20'];
const SETTINGS = [...SMALL, '--layers', '2', '--validation', '100', '--population', '12', '--generations', '8'];

describe('tinytrain search in 4 processes', () => {
  it('merges 4 concurrent shard processes into exactly the single-process report', async () => {
    // the shards run on 2 kernel threads and the single run on 1: the bits do not depend on the thread count
    const [single, ...shards] = await Promise.all([
      tinytrain([...SETTINGS, '--exact', '--no-cache', '--threads', '1', '--json']),
      ...[0, 1, 2, 3].map((i) =>
        tinytrain([...SETTINGS, '--exact', '--no-cache', '--threads', '2', '--shard', `${i}/4`]),
      ),
    ]);
    expect([single.code, single.err]).toEqual([0, '']);
    const report = JSON.parse(single.out);
    expect(report.runs.length).toBe(11);
    const files = shards.map((s, i) => {
      expect([s.code, s.err]).toEqual([0, '']);
      const shard = JSON.parse(s.out);
      expect(shard.shard).toEqual({ index: i, count: 4 });
      expect(shard.runs.length).toBe(Math.ceil((11 - i) / 4));
      const file = join(dir, `shard-${i}.json`);
      writeFileSync(file, s.out);
      return file;
    });
    // any order of the files, in a fifth process
    const merged = await tinytrain(['search', '--merge', files[2], files[0], files[3], files[1], '--json']);
    expect([merged.code, merged.err]).toEqual([0, '']);
    expect(merged.out).toBe(single.out);
    expect(JSON.parse(merged.out).best.scheme).toBe(report.best.scheme);
    // three of the four shards are not the search: the merge refuses them in one line
    const partial = await tinytrain(['search', '--merge', files[0], files[1], files[3]]);
    expect([partial.code, partial.out]).toEqual([2, '']);
    expect(partial.err.trim().split('\n')).toEqual([expect.stringMatching(/shard 2 of 4 missing/)]);
  }, 180_000);
});
