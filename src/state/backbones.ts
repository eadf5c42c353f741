/**
 * The page's backbone loader: fetches public/models/<model>.json + .bin (as the page's base URL sees them),
 * parses them (model-file.ts validates every field) and hashes the blob, so the Code panel and the firmware
 * README can name exactly which weights they carry. Each backbone is fetched once per page; a failed fetch is
 * forgotten so the next attempt tries again.
 */
import { sha256Hex } from '../compiler/model-pack';
import { fetchModelFile } from '../runtime/training/train-backbone';
import type { Backbone } from './experiment';
import type { BackboneLoader } from './playground';

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  const type = res.headers.get('content-type') ?? '';
  if (!res.ok || type.includes('text/html')) throw new Error(`${url} is missing (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

export function browserBackboneLoader(base = new URL('models/', document.baseURI).href): BackboneLoader {
  const cache = new Map<Backbone, ReturnType<BackboneLoader>>();
  const root = base.replace(/\/$/, '');
  return (model) => {
    let hit = cache.get(model);
    if (!hit) {
      let blob: Uint8Array | null = null;
      const get = async (url: string) => {
        const b = await fetchBytes(url);
        if (url.endsWith('.bin')) blob = b;
        return b;
      };
      hit = fetchModelFile(root, model, get).then(async (file) => ({
        file,
        fileName: `models/${model}.bin`,
        sha256: await sha256Hex(blob!),
      }));
      hit.catch(() => cache.delete(model));
      cache.set(model, hit);
    }
    return hit;
  };
}
