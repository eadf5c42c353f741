/**
 * The CLI's file system door: every read and write of a user-named path goes through here, so every failure is
 * one CliError line (exit 1) instead of a Node stack trace, and nothing is half written.
 *
 * Reads: the path must name a regular file (a FIFO, /dev/zero or a folder would block, never end or fail late)
 * of at most `maxBytes`.
 * Writes (a zip file or a bundle folder): the target's folder must exist on an ordinary file system (not
 * /proc, /sys or /dev); the output is written into a temporary name beside the target and renamed into place
 * when complete, so a failure (no space, permissions) leaves nothing behind. An existing zip file is replaced;
 * an existing folder is replaced only when it is empty or holds an earlier bundle (Makefile + model/tt_model.c).
 */
import * as fs from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CliError, quote } from './command';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'it already exists',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  ENOTEMPTY: 'the folder is not empty',
  EBUSY: 'the file is busy',
  EXDEV: 'not on the same device',
  EIO: 'input/output error',
};

/** The one-line reason of a file-system error (its code in words). */
export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code && Object.hasOwn(REASONS, code)) return `${REASONS[code]} (${code})`;
  return code ?? (e instanceof Error ? e.message : String(e));
}

const SPECIAL_ROOTS = ['/proc', '/sys', '/dev'];

function onSpecialFs(path: string): boolean {
  let real = path;
  try {
    real = fs.realpathSync(path);
  } catch {
    /* not there yet: judge the name */
  }
  return SPECIAL_ROOTS.some((r) => real === r || real.startsWith(`${r}/`));
}

/** Checks that `path` names a readable regular file of at most maxBytes, without reading it. */
export function checkInputFile(path: string, what: string, maxBytes = 512 * 1024 * 1024): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch (e) {
    throw new CliError(`cannot read ${what} ${quote(path)}: ${fsReason(e)}`);
  }
  if (!st.isFile() || onSpecialFs(path))
    throw new CliError(`${what} ${quote(path)} is not a regular file${st.isDirectory() ? ' (it is a folder)' : ''}`);
  if (st.size > maxBytes) throw new CliError(`${what} ${quote(path)} is too large (${st.size} bytes)`);
}

/** The bytes of a regular file of at most maxBytes (`what` names it in messages, e.g. "model file"). */
export function readInputFile(path: string, what: string, maxBytes = 512 * 1024 * 1024): Buffer {
  checkInputFile(path, what, maxBytes);
  try {
    return fs.readFileSync(path);
  } catch (e) {
    throw new CliError(`cannot read ${what} ${quote(path)}: ${fsReason(e)}`);
  }
}

/** Writes a file's bytes; tests substitute one that fails (ENOSPC cannot be caused on demand). */
export type FileWriter = (path: string, data: string | Uint8Array) => void;
const defaultWriter: FileWriter = (path, data) => fs.writeFileSync(path, data, { flag: 'wx' });

/** Checks an output path before any work is done (writeFileAtomic / writeFolderAtomic check it again). */
export function checkOutput(out: string): void {
  checkTarget(out, out.endsWith('.zip') ? 'zip' : 'folder');
}

/** Checks a single-file output path (an exported model) before any work is done. */
export function checkOutputFile(out: string): void {
  checkTarget(out, 'zip');
}

/** Checks the target's folder and the target itself before anything is written; returns the absolute target. */
function checkTarget(out: string, kind: 'zip' | 'folder'): string {
  const target = resolve(out);
  const parent = dirname(target);
  const fail = (why: string) => new CliError(`cannot write ${quote(out)}: ${why}`);
  let st: fs.Stats;
  try {
    st = fs.statSync(parent);
  } catch (e) {
    throw fail(`its folder ${quote(parent)}: ${fsReason(e)}`);
  }
  if (!st.isDirectory()) throw fail(`${quote(parent)} is not a folder`);
  if (onSpecialFs(parent)) throw fail(`${quote(parent)} is not on an ordinary file system`);
  let existing: fs.Stats | null = null;
  try {
    existing = fs.lstatSync(target);
  } catch {
    /* does not exist: fine */
  }
  if (!existing) return target;
  if (kind === 'zip' && !existing.isFile())
    throw fail(existing.isDirectory() ? 'it is a folder' : 'it exists and is not a regular file');
  if (kind === 'folder') {
    if (!existing.isDirectory()) throw fail('it exists and is not a folder');
    const entries = fs.readdirSync(target);
    const bundle = fs.existsSync(join(target, 'Makefile')) && fs.existsSync(join(target, 'model', 'tt_model.c'));
    if (entries.length > 0 && !bundle)
      throw fail('the folder is not empty and holds no earlier bundle; choose a new or empty folder');
  }
  return target;
}

/** A fresh name beside `target` for the work in progress. */
function tempBeside(target: string): string {
  return join(dirname(target), `.${basename(target).slice(0, 40)}.tinytrain-${process.pid}-${Date.now()}`);
}

/** Writes `bytes` to the file `out` (a temporary file beside it, renamed when complete). */
export function writeFileAtomic(out: string, bytes: Uint8Array, write: FileWriter = defaultWriter): void {
  const target = checkTarget(out, 'zip');
  const tmp = tempBeside(target);
  try {
    write(tmp, bytes);
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new CliError(`cannot write ${quote(out)}: ${fsReason(e)}`);
  }
}

/** Writes every file of a bundle into the folder `out` (built in a temporary folder beside it, then renamed). */
export function writeFolderAtomic(out: string, files: Record<string, string>, write: FileWriter = defaultWriter): void {
  const target = checkTarget(out, 'folder');
  const tmp = tempBeside(target);
  const old = `${tmp}-old`;
  let moved = false;
  try {
    fs.mkdirSync(tmp);
    for (const [path, text] of Object.entries(files)) {
      const full = join(tmp, path);
      if (!full.startsWith(`${tmp}/`)) throw new Error(`bundle path ${quote(path)} leaves the folder`);
      fs.mkdirSync(dirname(full), { recursive: true });
      write(full, text);
    }
    if (fs.existsSync(target)) {
      fs.renameSync(target, old);
      moved = true;
    }
    fs.renameSync(tmp, target);
  } catch (e) {
    if (moved && !fs.existsSync(target)) fs.renameSync(old, target);
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new CliError(`cannot write ${quote(out)}: ${fsReason(e)}`);
  }
  fs.rmSync(old, { recursive: true, force: true });
}
