/** Copies the share URL of the current experiment (and shows it, for browsers without clipboard access). */
import { useState } from 'react';
import { usePlayground } from '../state/playground';
import { shareUrl } from '../state/url-sync';

export function ShareButton() {
  const e = usePlayground((s) => s.experiment);
  const [state, setState] = useState<'idle' | 'copied' | 'shown'>('idle');
  const url = shareUrl(e);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setState('copied');
    } catch {
      setState('shown');
    }
    setTimeout(() => setState('idle'), 2500);
  };
  return (
    <div className="share">
      <button data-testid="share.copy" onClick={() => void copy()} title="Copy a link to this exact experiment">
        {state === 'copied' ? 'link copied ✓' : 'share link'}
      </button>
      {/* Present for tests and copy fallbacks, but only a tab stop when shown. */}
      <input
        className={state === 'shown' ? 'share-url shown' : 'share-url'}
        data-testid="share.url"
        readOnly
        value={url}
        aria-label="share link"
        aria-hidden={state !== 'shown'}
        tabIndex={state === 'shown' ? 0 : -1}
        onFocus={(ev) => ev.target.select()}
      />
    </div>
  );
}
