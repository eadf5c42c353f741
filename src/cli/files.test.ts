import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from './command';
import { readInputFile, writeFileAtomic, writeFolderAtomic, type FileWriter } from './files';

const root = mkdtempSync(join(tmpdir(), 'tinytrain-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const at = (p: string) => join(root, p);

/** A writer that runs out of space after `n` files, as a full disk would. */
function fullDisk(n: number): FileWriter {
  let left = n;
  return (path, data) => {
    if (left-- <= 0) throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC' });
    writeFileSync(path, data);
  };
}

describe('the CLI file-system door', () => {
  it('reads regular files only, with one-line reasons', () => {
    writeFileSync(at('a.txt'), 'hi');
    expect(readInputFile(at('a.txt'), 'file').toString()).toBe('hi');
    execFileSync('mkfifo', [at('fifo')]);
    mkdirSync(at('dir'));
    expect(() => readInputFile(at('fifo'), 'model file')).toThrow(/model file ".*fifo" is not a regular file/);
    expect(() => readInputFile(at('dir'), 'model file')).toThrow(/is not a regular file \(it is a folder\)/);
    expect(() => readInputFile('/dev/zero', 'model file')).toThrow(/is not a regular file/);
    expect(() => readInputFile('/proc/self/status', 'model file')).toThrow(/is not a regular file/);
    expect(() => readInputFile(at('none'), 'model file')).toThrow(/no such file or folder \(ENOENT\)/);
    expect(() => readInputFile(at('a.txt/x'), 'model file')).toThrow(/a part of the path is not a folder \(ENOTDIR\)/);
    expect(() => readInputFile(at('a.txt'), 'model file', 1)).toThrow(/too large \(2 bytes\)/);
  });

  it('writes a folder through a temporary name and leaves nothing behind when the disk fills', () => {
    const files = { Makefile: 'all:', 'model/tt_model.c': 'int x;', 'app/main.c': 'int main(){}' };
    const e = (() => {
      try {
        writeFolderAtomic(at('fw'), files, fullDisk(2));
      } catch (x) {
        return x as CliError;
      }
    })();
    expect(e).toBeInstanceOf(CliError);
    expect(e!.message).toMatch(/cannot write ".*fw": no space left on the device \(ENOSPC\)/);
    expect(readdirSync(root).filter((f) => f.includes('fw'))).toEqual([]);
    writeFolderAtomic(at('fw'), files);
    expect(readFileSync(at('fw/model/tt_model.c'), 'utf8')).toBe('int x;');
    // an earlier bundle is replaced whole (its stale files go); a failed replacement keeps the earlier one
    writeFileSync(at('fw/stale.o'), '');
    expect(() => writeFolderAtomic(at('fw'), { ...files, Makefile: 'new:' }, fullDisk(1))).toThrow(/ENOSPC/);
    expect(readFileSync(at('fw/Makefile'), 'utf8')).toBe('all:');
    writeFolderAtomic(at('fw'), { ...files, Makefile: 'new:' });
    expect(readFileSync(at('fw/Makefile'), 'utf8')).toBe('new:');
    expect(existsSync(at('fw/stale.o'))).toBe(false);
    expect(readdirSync(root).filter((f) => f.includes('fw'))).toEqual(['fw']);
    // a folder that is not empty and holds no bundle is refused before anything is written
    mkdirSync(at('mine'));
    writeFileSync(at('mine/notes.txt'), 'keep');
    expect(() => writeFolderAtomic(at('mine'), files)).toThrow(/not empty and holds no earlier bundle/);
    expect(readdirSync(at('mine'))).toEqual(['notes.txt']);
  });

  it('writes a zip file through a temporary name; refuses folders and special targets', () => {
    expect(() => writeFileAtomic(at('b.zip'), new Uint8Array([1]), fullDisk(0))).toThrow(/ENOSPC/);
    expect(readdirSync(root).filter((f) => f.includes('b.zip'))).toEqual([]);
    writeFileAtomic(at('b.zip'), new Uint8Array([1, 2]));
    writeFileAtomic(at('b.zip'), new Uint8Array([3]));
    expect([...readFileSync(at('b.zip'))]).toEqual([3]);
    mkdirSync(at('d.zip'));
    expect(() => writeFileAtomic(at('d.zip'), new Uint8Array(1))).toThrow(/it is a folder/);
    expect(() => writeFileAtomic(at('fifo'), new Uint8Array(1))).toThrow(/not a regular file/);
    expect(() => writeFileAtomic('/proc/self/x.zip', new Uint8Array(1))).toThrow(/not on an ordinary file system/);
    expect(() => writeFileAtomic(at('no/such.zip'), new Uint8Array(1))).toThrow(/its folder ".*no": no such file/);
  });
});
