/**
 * bundleToZip: a firmware bundle (path -> text) as a zip archive, built in the browser or in Node with fflate
 * (pinned in package.json). Every path is prefixed with the bundle's folder name so unzipping gives one folder;
 * timestamps are fixed so the same bundle always gives the same bytes.
 */
import { strToU8, zipSync, type Zippable } from 'fflate';

const FIXED_DATE = new Date(Date.UTC(2024, 0, 1));

/** Zips the files under `folder/` (deflate level 6); returns the archive bytes. */
export function bundleToZip(files: Record<string, string | Uint8Array>, folder = ''): Uint8Array {
  const tree: Zippable = {};
  const prefix = folder ? `${folder.replace(/\/+$/, '')}/` : '';
  for (const path of Object.keys(files).sort()) {
    if (path.startsWith('/') || path.split('/').includes('..')) throw new Error(`unsafe path in bundle: ${path}`);
    const data = files[path];
    tree[prefix + path] = [typeof data === 'string' ? strToU8(data) : data, { level: 6, mtime: FIXED_DATE }];
  }
  return zipSync(tree);
}
