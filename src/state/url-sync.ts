/**
 * Keeps the address bar and the experiment in step: the page opens the fragment it was given, every edit
 * rewrites the fragment (replaceState, so the back button is not flooded), and a fragment pasted by hand is
 * loaded when it changes. A link that waits for its model file (link-model.ts) stays in the address bar while
 * the stand-in backbone shows, so a reload or a copied address still names the file; the first edit (or the
 * file opening) writes the page's experiment as usual.
 */
import type { Experiment } from './experiment';
import { usePlayground } from './playground';
import { encodeExperiment } from './url';

let lastWritten = '';
/** The stand-in experiment a waiting link opened as: not written over the link's fragment. */
let standIn: Experiment | null = null;

export function shareUrl(e: Experiment = usePlayground.getState().experiment): string {
  const base = `${location.origin}${location.pathname}${location.search}`;
  return `${base}#${encodeExperiment(e)}`;
}

/** Starts the sync; returns a function that stops it. */
export function startUrlSync(): () => void {
  const load = (hash: string) => {
    usePlayground.getState().loadFragment(hash);
    const s = usePlayground.getState();
    standIn = s.awaitedLink ? s.experiment : null;
  };
  load(location.hash);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const write = (e: Experiment) => {
    if (e === standIn && usePlayground.getState().awaitedLink) return;
    const frag = `#${encodeExperiment(e)}`;
    if (frag === location.hash) return;
    lastWritten = frag;
    history.replaceState(null, '', frag);
  };
  write(usePlayground.getState().experiment);
  const unsubscribe = usePlayground.subscribe((s, prev) => {
    if (s.experiment === prev.experiment) return;
    clearTimeout(timer);
    timer = setTimeout(() => write(s.experiment), 100);
  });
  const onHash = () => {
    if (location.hash !== lastWritten) load(location.hash);
  };
  window.addEventListener('hashchange', onHash);
  return () => {
    clearTimeout(timer);
    unsubscribe();
    window.removeEventListener('hashchange', onHash);
  };
}
