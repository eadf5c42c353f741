/**
 * Generated regions of a markdown file: the text between `<!-- docs:ID -->` and the next `<!-- /docs -->`
 * belongs to the generator of ID (scripts/docs/docs.ts); everything else is written by hand.
 */

export interface Region {
  id: string;
  /** the text between the two marker lines, without their newlines */
  body: string;
}

const OPEN = /^<!-- docs:([a-z0-9-]+)(?: [^>]*)? -->$/;
const CLOSE = '<!-- /docs -->';

/** Every region of `text`, in order; throws on a region that is not closed or a close without an open. */
export function regions(text: string): Region[] {
  const out: Region[] = [];
  const lines = text.split('\n');
  let open: { id: string; from: number } | null = null;
  lines.forEach((line, i) => {
    const m = OPEN.exec(line);
    if (m) {
      if (open) throw new Error(`line ${i + 1}: docs:${m[1]} opens inside docs:${open.id}`);
      open = { id: m[1], from: i + 1 };
    } else if (line === CLOSE) {
      if (!open) throw new Error(`line ${i + 1}: ${CLOSE} without an opening marker`);
      out.push({ id: open.id, body: lines.slice(open.from, i).join('\n') });
      open = null;
    }
  });
  if (open) throw new Error(`docs:${(open as { id: string }).id} is never closed`);
  const ids = out.map((r) => r.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new Error(`docs:${dup} appears twice`);
  return out;
}

/** `text` with the body of region `id` replaced (the markers stay). */
export function replaceRegion(text: string, id: string, body: string): string {
  regions(text); // well-formed
  const lines = text.split('\n');
  const from = lines.findIndex((l) => OPEN.exec(l)?.[1] === id);
  if (from < 0) throw new Error(`no region docs:${id}`);
  const to = lines.indexOf(CLOSE, from + 1);
  return [...lines.slice(0, from + 1), ...body.split('\n'), ...lines.slice(to)].join('\n');
}
