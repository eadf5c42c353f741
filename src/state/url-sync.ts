/**
 * Keeps the address bar and the experiment in step: the page opens the fragment it was given, every edit
 * rewrites the fragment (replaceState, so the back button is not flooded), and a fragment pasted by hand is
 * loaded when it changes.
 */
import type { Experiment } from './experiment';
import { usePlayground } from './playground';
import { encodeExperiment } from './url';

let lastWritten = '';

export function shareUrl(e: Experiment = usePlayground.getState().experiment): string {
  const base = `${location.origin}${location.pathname}${location.search}`;
  return `${base}#${encodeExperiment(e)}`;
}

/** Starts the sync; returns a function that stops it. */
export function startUrlSync(): () => void {
  usePlayground.getState().loadFragment(location.hash);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const write = (e: Experiment) => {
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
    if (location.hash !== lastWritten) usePlayground.getState().loadFragment(location.hash);
  };
  window.addEventListener('hashchange', onHash);
  return () => {
    clearTimeout(timer);
    unsubscribe();
    window.removeEventListener('hashchange', onHash);
  };
}
